/** What the export stage hands to register. */
export interface ExportResult {
  /** outputs/model/: model.onnx, labels.json, preprocessing.json. */
  readonly dir: string;
  readonly modelFile: string;
  readonly sha256: string;
  readonly inputName: string;
  readonly outputName: string;
  readonly numClasses: number;
  /** Max |logit difference| between onnxruntime on the exported file and the tfjs path, over `n` test images. */
  readonly parity: { readonly maxAbsDiff: number; readonly n: number; readonly tolerance: number };
}
