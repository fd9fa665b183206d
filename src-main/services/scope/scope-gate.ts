/**
 * The scope gate of the case database's studies: the decision of src-shared/scope for a study from its files'
 * headers (read once per set of files), the model's score of its last drafting run and the user's override, both
 * kept in `study_scope` (schema version 7, docs/database.md). The reports service asks it before drafting.
 */
import {
  assessScope,
  type OodScore,
  type ScopeAssessment,
  type ScopeOverride,
} from "../../../src-shared/scope/chest-scope";
import type { CaseDatabase } from "../../db/database";
import { readScopeFacts, type ScopeFactsResult } from "./scope-facts";

interface ScopeRow {
  ood_score: number | null;
  ood_threshold: number | null;
  override_by: string | null;
  override_at: string | null;
  override_reason: string | null;
}

export class StudyScopeGate {
  private readonly facts = new Map<string, { key: string; result: ScopeFactsResult }>();

  constructor(private readonly db: CaseDatabase) {}

  private filesOf(studyId: string): Array<{ path: string; width: number | null; height: number | null }> {
    return (
      this.db
        .prepare(
          `SELECT i.file_path, i.width, i.height FROM images i JOIN series se ON se.id = i.series_id
           WHERE se.study_id = ? ORDER BY i.file_path`,
        )
        .all(studyId) as Array<{ file_path: string; width: number | null; height: number | null }>
    ).map((r) => ({ path: r.file_path, width: r.width, height: r.height }));
  }

  private factsOf(studyId: string): ScopeFactsResult {
    const files = this.filesOf(studyId);
    const key = files.map((f) => f.path).join("\n");
    const cached = this.facts.get(studyId);
    if (cached && cached.key === key) return cached.result;
    const result = readScopeFacts(files);
    this.facts.set(studyId, { key, result });
    return result;
  }

  private row(studyId: string): ScopeRow | undefined {
    return this.db
      .prepare(
        "SELECT ood_score, ood_threshold, override_by, override_at, override_reason FROM study_scope WHERE study_id = ?",
      )
      .get(studyId) as ScopeRow | undefined;
  }

  /** The study's decision now. */
  assess(studyId: string): ScopeAssessment {
    const { facts, problems } = this.factsOf(studyId);
    const row = this.row(studyId);
    const ood: OodScore | null =
      row?.ood_score != null ? { score: row.ood_score, threshold: row.ood_threshold ?? null } : null;
    const override: ScopeOverride | null =
      row?.override_by && row.override_at
        ? { by: row.override_by, at: row.override_at, reason: row.override_reason ?? "" }
        : null;
    return assessScope(facts, { ood, override, problems });
  }

  /** Keeps the model's score of a drafting run (replacing the last run's). */
  recordOod(studyId: string, ood: OodScore, modelId: string | null): void {
    this.db
      .prepare(
        `INSERT INTO study_scope (study_id, ood_score, ood_threshold, ood_model) VALUES (?, ?, ?, ?)
         ON CONFLICT (study_id) DO UPDATE SET ood_score = excluded.ood_score, ood_threshold = excluded.ood_threshold,
           ood_model = excluded.ood_model, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(studyId, ood.score, ood.threshold, modelId);
  }

  /** Records the user's override of "not eligible"; returns it. */
  recordOverride(studyId: string, by: string, reason: string): ScopeOverride {
    const at = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO study_scope (study_id, override_by, override_at, override_reason) VALUES (?, ?, ?, ?)
         ON CONFLICT (study_id) DO UPDATE SET override_by = excluded.override_by, override_at = excluded.override_at,
           override_reason = excluded.override_reason, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(studyId, by, at, reason);
    return { by, at, reason };
  }
}
