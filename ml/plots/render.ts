/**
 * Headless charts: a Vega-Lite spec is compiled to Vega, rendered to SVG with the 'none' renderer (no canvas,
 * no native modules beyond sharp) and rasterised to PNG by sharp. Files are written atomically.
 */
import sharp from 'sharp';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';

export type { TopLevelSpec } from 'vega-lite';

export interface RenderOptions {
  /** Pixel density of the PNG relative to the spec's size (default 2, crisp on high-DPI screens). */
  readonly scale?: number;
}

/** Renders `spec` to an SVG string. */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders `spec` to a PNG at `outPath` and returns its pixel size. */
export async function renderVegaLite(spec: TopLevelSpec, outPath: string, options: RenderOptions = {}): Promise<{ width: number; height: number }> {
  const svg = await vegaLiteToSvg(spec);
  const density = 72 * (options.scale ?? 2);
  const { data, info } = await sharp(Buffer.from(svg), { density }).flatten({ background: '#ffffff' }).png().toBuffer({ resolveWithObject: true });
  writeFileAtomic(outPath, data);
  return { width: info.width, height: info.height };
}
