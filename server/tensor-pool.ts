/**
 * Reusable input tensors. A 224x224 input is 600 KB of float32; allocating one per request (plus a batch buffer
 * per run) is mostly what drives V8's mark-compact collections under load. The pool is one SharedArrayBuffer cut
 * into slots: a request normalises its image straight into a slot, the inference worker reads the slot where it
 * is, and the slot is returned when the result is back. When every slot is taken, callers allocate as before.
 */

export interface TensorSlot {
  /** The slot's floats (a view into the pool's buffer). */
  readonly view: Float32Array;
  /** Idempotent. */
  release(): void;
}

/**
 * Slots for a model's inputs: the batches being run (one per inference worker), the one forming, and a few being
 * normalised; beyond that, requests allocate.
 */
export function tensorPoolSlots(maxBatch: number, inferenceRuns: number): number {
  return (inferenceRuns + 1) * maxBatch + 8;
}

export class TensorPool {
  readonly buffer: SharedArrayBuffer;
  readonly itemSize: number;
  readonly #free: number[];

  constructor(itemSize: number, slots: number) {
    this.itemSize = itemSize;
    this.buffer = new SharedArrayBuffer(itemSize * slots * Float32Array.BYTES_PER_ELEMENT);
    this.#free = Array.from({ length: slots }, (_, i) => slots - 1 - i);
  }

  /** Slots in all. */
  get slots(): number {
    return this.buffer.byteLength / (this.itemSize * Float32Array.BYTES_PER_ELEMENT);
  }

  get available(): number {
    return this.#free.length;
  }

  /** A free slot, or undefined when all are in use. */
  acquire(): TensorSlot | undefined {
    const index = this.#free.pop();
    if (index === undefined) return undefined;
    let held = true;
    return {
      view: new Float32Array(this.buffer, index * this.itemSize * Float32Array.BYTES_PER_ELEMENT, this.itemSize),
      release: () => {
        if (!held) return;
        held = false;
        this.#free.push(index);
      },
    };
  }

  /** Where `view` sits in the pool, in floats, or undefined if it is not one of the pool's slots. */
  offsetOf(view: Float32Array): number | undefined {
    return view.buffer === this.buffer ? view.byteOffset / Float32Array.BYTES_PER_ELEMENT : undefined;
  }
}
