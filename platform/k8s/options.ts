/**
 * What `pipeline k8s render` is told (flags) and what it derives from the pipeline file, checked once: image
 * references must carry a tag or digest other than `latest` (a moving tag makes two pods of one Deployment run two
 * builds), the namespace and names must be DNS labels.
 */
import { UsageError } from '../../runner/errors.ts';

/** Everything the renderer needs besides the pipeline config. */
export interface RenderOptions {
  readonly namespace: string;
  /** The training image (`Dockerfile.train`): init, shard and finalize Jobs, the monitor CronJob. */
  readonly trainImage: string;
  /** The serving image (`Dockerfile.serve`). */
  readonly serveImage: string;
  /** A CUDA build of the training image (`ACCELERATOR=gpu`); without it no pod asks for a GPU. */
  readonly gpuImage?: string;
  /** Completions and parallelism of the Indexed training Job. */
  readonly shards: number;
}

export interface RenderFlags {
  readonly namespace?: string;
  readonly image?: string;
  readonly serveImage?: string;
  readonly gpuImage?: string;
  readonly shards?: string | number;
}


const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Throws unless `ref` names a registry image with a tag (not `latest`) or a digest. */
export function checkImageRef(flag: string, ref: string): string {
  const at = ref.indexOf('@');
  if (at > 0) {
    if (!/^sha256:[0-9a-f]{64}$/.test(ref.slice(at + 1))) throw new UsageError(`${flag} ${ref}: a digest must be sha256:<64 hex digits>`);
    return ref;
  }
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  if (colon < 0) throw new UsageError(`${flag} ${ref}: give a tag or digest (e.g. ${ref}:1.2.3 or ${ref}:$GIT_SHA), never an implicit latest`);
  const tag = ref.slice(colon + 1);
  if (tag === 'latest') throw new UsageError(`${flag} ${ref}: 'latest' moves under running pods; use the version or the commit sha as the tag`);
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new UsageError(`${flag} ${ref}: '${tag}' is not a valid image tag`);
  return ref;
}

/** The serving image that goes with a training image `…/food101-train:TAG`: `…/food101-serve:TAG`. */
function serveImageFor(trainImage: string): string {
  const m = /^(.*\/)?food101-train([:@].*)$/.exec(trainImage);
  return m ? `${m[1] ?? ''}food101-serve${m[2]}` : trainImage;
}

/**
 * Options from flags. Defaults: namespace = the pipeline's name, images `food101-train:<package version>` and
 * `food101-serve:<package version>` (what `docker build -t` in docs/deployment.md names them), the shards the
 * pipeline file gives (`stages.<train>.with.shards`, validated there), else 3.
 */
export function resolveOptions(flags: RenderFlags, defaults: { name: string; version: string; shards?: number }): RenderOptions {
  const namespace = flags.namespace ?? defaults.name;
  if (!DNS_LABEL.test(namespace)) throw new UsageError(`--namespace ${namespace}: expected a DNS label (lower case letters, digits, '-', at most 63)`);
  const trainImage = checkImageRef('--image', flags.image ?? `food101-train:${defaults.version}`);
  const serveImage = checkImageRef('--serve-image', flags.serveImage ?? (flags.image ? serveImageFor(trainImage) : `food101-serve:${defaults.version}`));
  const gpuImage = flags.gpuImage === undefined ? undefined : checkImageRef('--gpu-image', flags.gpuImage);
  const shards = Number(flags.shards ?? defaults.shards ?? 3);
  if (!Number.isInteger(shards) || shards < 1 || shards > 1000) throw new UsageError(`--shards ${flags.shards}: expected a whole number from 1 to 1000`);
  return { namespace, trainImage, serveImage, gpuImage, shards };
}
