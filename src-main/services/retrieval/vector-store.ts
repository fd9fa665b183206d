/**
 * The in-memory mirror of the index's vectors: one contiguous row-major Float32Array with a slot per case.
 * Adding appends a slot (the array doubles when full); removing leaves a hole (a tombstone) that searches skip,
 * and the matrix is compacted once holes pass a quarter of the slots. Compaction renumbers slots and bumps
 * `generation`, so structures built on slot numbers (the IVF index) know they are stale.
 */
export class VectorStore {
  private matrixData: Float32Array;
  private readonly idOfSlot: (string | null)[] = [];
  private readonly slotOfId = new Map<string, number>();
  private holes = 0;
  generation = 0;

  constructor(
    readonly dim: number,
    initialCapacity = 1024,
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`vector dimension must be a positive integer, got ${dim}`);
    this.matrixData = new Float32Array(Math.max(1, initialCapacity) * dim);
  }

  /** The matrix; rows [0, usedSlots) are meaningful, holes included. */
  get matrix(): Float32Array {
    return this.matrixData;
  }

  get usedSlots(): number {
    return this.idOfSlot.length;
  }

  get size(): number {
    return this.slotOfId.size;
  }

  /** Bytes held by the vectors. */
  get bytes(): number {
    return this.matrixData.byteLength;
  }

  has(id: string): boolean {
    return this.slotOfId.has(id);
  }

  idAt(slot: number): string | null {
    return this.idOfSlot[slot] ?? null;
  }

  slotOf(id: string): number | undefined {
    return this.slotOfId.get(id);
  }

  /** Adds (or replaces) the vector of `id`; `vector` is written as given (already normalised). Returns the slot. */
  put(id: string, vector: Float32Array | Uint8Array): number {
    this.remove(id);
    const slot = this.idOfSlot.length;
    this.ensureCapacity(slot + 1);
    if (vector instanceof Float32Array) {
      if (vector.length !== this.dim)
        throw new Error(`vector of ${id} has ${vector.length} values, expected ${this.dim}`);
      this.matrixData.set(vector, slot * this.dim);
    } else {
      if (vector.byteLength !== this.dim * 4)
        throw new Error(`vector of ${id} has ${vector.byteLength} bytes, expected ${this.dim * 4}`);
      new Uint8Array(this.matrixData.buffer, slot * this.dim * 4, this.dim * 4).set(vector);
    }
    this.idOfSlot.push(id);
    this.slotOfId.set(id, slot);
    return slot;
  }

  remove(id: string): boolean {
    const slot = this.slotOfId.get(id);
    if (slot === undefined) return false;
    this.slotOfId.delete(id);
    this.idOfSlot[slot] = null;
    this.holes++;
    if (this.holes > 64 && this.holes * 4 > this.idOfSlot.length) this.compact();
    return true;
  }

  clear(): void {
    this.idOfSlot.length = 0;
    this.slotOfId.clear();
    this.holes = 0;
    this.generation++;
  }

  /**
   * Renumbers slots [0, previousSlot.length) after the matrix rows were reordered in place (the IVF build): slot p now
   * holds what slot previousSlot[p] held. Bumps `generation`.
   */
  renumber(previousSlot: Int32Array): void {
    const before = this.idOfSlot.slice(0, previousSlot.length);
    for (let slot = 0; slot < previousSlot.length; slot++) {
      const id = before[previousSlot[slot]!] ?? null;
      this.idOfSlot[slot] = id;
      if (id !== null) this.slotOfId.set(id, slot);
    }
    this.generation++;
  }

  /** True for a slot that holds no case (removed). */
  isHole(slot: number): boolean {
    return this.idOfSlot[slot] === null;
  }

  private ensureCapacity(rows: number): void {
    if (rows * this.dim <= this.matrixData.length) return;
    let capacity = Math.max(1, this.matrixData.length / this.dim);
    while (capacity < rows) capacity *= 2;
    const grown = new Float32Array(capacity * this.dim);
    grown.set(this.matrixData.subarray(0, this.idOfSlot.length * this.dim));
    this.matrixData = grown;
  }

  private compact(): void {
    let write = 0;
    for (let read = 0; read < this.idOfSlot.length; read++) {
      const id = this.idOfSlot[read];
      if (id === null || id === undefined) continue;
      if (write !== read) {
        this.matrixData.copyWithin(write * this.dim, read * this.dim, (read + 1) * this.dim);
        this.idOfSlot[write] = id;
      }
      this.slotOfId.set(id, write);
      write++;
    }
    this.idOfSlot.length = write;
    this.holes = 0;
    this.generation++;
  }
}
