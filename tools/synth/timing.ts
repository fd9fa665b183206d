/** Optional per-stage CPU time accounting for benchmarks (a no-op unless a record is passed). */
export type StageTimes = Record<string, number>;

export class StageTimer {
  private last: number;

  constructor(private readonly record: StageTimes | undefined) {
    this.last = record ? process.cpuUsage().user : 0;
  }

  mark(stage: string): void {
    if (!this.record) return;
    const now = process.cpuUsage().user;
    this.record[stage] = (this.record[stage] ?? 0) + (now - this.last) / 1000;
    this.last = now;
  }
}
