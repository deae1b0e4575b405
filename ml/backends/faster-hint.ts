/**
 * What to install for faster training than the backend that ran, said once at the start of the train stage
 * (a user on the plain-JS cpu backend otherwise never learns that wasm or tfjs-node would be many times faster).
 */
export function fasterBackendHint(name: string): string {
  switch (name) {
    case 'tensorflow-gpu':
      return 'the fastest backend there is';
    case 'tensorflow':
      return 'faster with an NVIDIA GPU: npm install @tensorflow/tfjs-node-gpu (CUDA 11.8, cuDNN 8; its install downloads libtensorflow)';
    case 'wasm':
      return 'faster: npm install @tensorflow/tfjs-node (native TensorFlow, several threads; its install downloads libtensorflow), or tfjs-node-gpu with a GPU';
    default:
      return 'faster: npm install @tensorflow/tfjs-node (its install downloads libtensorflow); the wasm backend (@tensorflow/tfjs-backend-wasm) trains heads too';
  }
}
