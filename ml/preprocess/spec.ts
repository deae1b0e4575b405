/**
 * The preprocessing contract: what the pipeline file says under `backbone.preprocessing` (and `features.with.views`).
 * Kept free of native imports so schema tooling can load it; the id lives in id.ts.
 */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';

/**
 * Bump when `preprocess()` changes what it produces for the same spec (decoding, colour handling, rounding, the
 * crop PRNG): every cached feature vector computed by the old code then becomes a different feature space.
 */
export const PREPROCESS_CODE_VERSION = 3;
// 2: sources more extreme than 4:1 are cut to their centre before resizing (plan.ts), sources >= 4x resize on the
//    shorter side shrink while decoding, only the first frame of animations is read. Ordinary photos: unchanged.
// 3: upright sRGB JPEGs of ordinary shape (with the `linear` kernel) are decoded by libjpeg-turbo, shrunk in its
//    inverse DCT only while 2x is left, and resampled with the same triangle filter in native code (jpeg-scaled.ts):
//    within rounding of version 2 (0.16 of 255 on the median photo). Everything else: unchanged.

/** sharp's resize kernels (`sharp.kernel`). */
export const RESIZE_KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3', 'mks2013', 'mks2021'] as const;
export type ResizeKernel = (typeof RESIZE_KERNELS)[number];

// An RGB triple. Written as a fixed-length array (not Type.Tuple, whose `items: [...]` form is not draft 2020-12).
const Rgb = (description: string, defaults: [number, number, number], positive: boolean) =>
  Type.Unsafe<[number, number, number]>(
    Type.Array(Type.Number(positive ? { exclusiveMinimum: 0 } : {}), { minItems: 3, maxItems: 3, description, default: defaults }),
  );

/** Defaults = the backbone's own preprocessing (../shared/models/README.md): 256 -> centre 224, ImageNet mean/std. */
export const DEFAULT_PREPROCESS: PreprocessSpec = Object.freeze({
  resize: 256,
  crop: 224,
  mean: Object.freeze([0.485, 0.456, 0.406] as const),
  std: Object.freeze([0.229, 0.224, 0.225] as const),
  kernel: 'linear' as const,
});

/** JSON Schema of `backbone.preprocessing`. Every key is optional: a missing key takes the backbone's default. */
export const PreprocessSpecSchema = Type.Object(
  {
    resize: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_PREPROCESS.resize, description: 'Resize so the shorter side is this many pixels (aspect ratio kept).' }),
    ),
    crop: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_PREPROCESS.crop, description: 'Side of the square crop fed to the backbone; must not exceed `resize`.' }),
    ),
    mean: Type.Optional(Rgb('Per-channel RGB mean subtracted after scaling pixels to [0,1].', [...DEFAULT_PREPROCESS.mean], false)),
    std: Type.Optional(Rgb('Per-channel RGB standard deviation divided by after subtracting the mean.', [...DEFAULT_PREPROCESS.std], true)),
    kernel: Type.Optional(
      StringEnum(RESIZE_KERNELS, {
        default: DEFAULT_PREPROCESS.kernel,
        description:
          "Resize kernel (sharp's names). 'linear' (antialiased bilinear) is closest to the torchvision training transform; with it, upright sRGB JPEGs are decoded and resized by libjpeg-turbo with the same triangle filter.",
      }),
    ),
  },
  { additionalProperties: false, default: {}, description: 'How a photo becomes the backbone input tensor (one function for features, training and serving).' },
);
export type PreprocessSpecInput = Static<typeof PreprocessSpecSchema>;

/** A fully resolved preprocessing spec. */
export interface PreprocessSpec {
  /** Shorter side after resizing, in pixels. */
  readonly resize: number;
  /** Side of the square crop, in pixels (<= resize). */
  readonly crop: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly kernel: ResizeKernel;
}

/** Which extra views of each training image get features (test and validation images only ever get `center`). */
export const ViewsSpecSchema = Type.Object(
  {
    flip: Type.Optional(Type.Boolean({ default: false, description: 'Add the horizontal mirror of the centre crop (view `flip`).' })),
    crops: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 64,
        default: 0,
        description: 'Add this many random crops of the resized image (views `crop1`..`cropN`), placed by a PRNG seeded by the image sha256.',
      }),
    ),
  },
  { additionalProperties: false, default: {}, description: 'Augmented views computed once per training image and kept in the feature store.' },
);
export type ViewsSpecInput = Static<typeof ViewsSpecSchema>;

export interface ViewsSpec {
  readonly flip: boolean;
  readonly crops: number;
  /** Zoomed centre views (`zoom<z>`, and `zoom<z>_flip` with `flip`): the test-time views beyond the mirror. */
  readonly zoom?: readonly number[];
}

export const NO_EXTRA_VIEWS: ViewsSpec = Object.freeze({ flip: false, crops: 0 });

/** Fills defaults and checks what JSON Schema cannot (crop <= resize). */
export function resolvePreprocessSpec(input: PreprocessSpecInput = {}): PreprocessSpec {
  const spec: PreprocessSpec = {
    resize: input.resize ?? DEFAULT_PREPROCESS.resize,
    crop: input.crop ?? DEFAULT_PREPROCESS.crop,
    mean: (input.mean ?? DEFAULT_PREPROCESS.mean) as PreprocessSpec['mean'],
    std: (input.std ?? DEFAULT_PREPROCESS.std) as PreprocessSpec['std'],
    kernel: (input.kernel ?? DEFAULT_PREPROCESS.kernel) as ResizeKernel,
  };
  assertValidSpec(spec);
  return spec;
}

export function resolveViewsSpec(input: ViewsSpecInput = {}): ViewsSpec {
  return { flip: input.flip ?? false, crops: input.crops ?? 0 };
}

export function assertValidSpec(spec: PreprocessSpec): void {
  const bad = (msg: string) => new Error(`preprocessing: ${msg}`);
  if (!Number.isInteger(spec.resize) || spec.resize < 1) throw bad(`resize must be a positive integer, got ${spec.resize}`);
  if (!Number.isInteger(spec.crop) || spec.crop < 1) throw bad(`crop must be a positive integer, got ${spec.crop}`);
  if (spec.crop > spec.resize) throw bad(`crop (${spec.crop}) must not exceed resize (${spec.resize}): lower crop or raise resize`);
  if (spec.std.some((s) => !(s > 0))) throw bad(`std must be positive, got [${spec.std.join(', ')}]`);
  if (!RESIZE_KERNELS.includes(spec.kernel)) throw bad(`unknown kernel '${spec.kernel}', expected one of ${RESIZE_KERNELS.join(', ')}`);
}

/** View names in the order they are produced: `center`, `flip`, `crop1`..`cropN`, then `zoom<z>` (+ `zoom<z>_flip`). */
export function viewNames(views: ViewsSpec): string[] {
  const names = ['center'];
  if (views.flip) names.push('flip');
  for (let i = 1; i <= views.crops; i++) names.push(`crop${i}`);
  for (const z of views.zoom ?? []) names.push(`zoom${z}`, ...(views.flip ? [`zoom${z}_flip`] : []));
  return names;
}
