/**
 * Dataset manifests: CSV files (path relative to the data root, class, sha256 of the file bytes) for the train
 * and test parts and for each fold's train/val, plus manifest.json. The dataset version is a hash of their
 * contents, so the same photos, classes and folds always give the same version wherever the data lives.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeDirAtomic } from '../../runner/fs-atomic.ts';
import { sha256 } from '../../runner/hash.ts';

export interface ManifestEntry {
  readonly path: string;
  readonly className: string;
  readonly sha256: string;
}

export interface ManifestFiles {
  /** Relative file name -> CSV text. */
  readonly files: Readonly<Record<string, string>>;
  readonly hash: string;
}

function csvField(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(entries: readonly ManifestEntry[]): string {
  return ['path,class,sha256', ...entries.map((e) => [e.path, e.className, e.sha256].map(csvField).join(','))].join('\n') + '\n';
}

/** Parses a manifest CSV written by `toCsv` (paths never contain newlines). */
export function parseCsv(text: string): ManifestEntry[] {
  const rows = text.split('\n').filter((l) => l !== '');
  return rows.slice(1).map((line) => {
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted && ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) cells.push(cur), (cur = '');
      else cur += ch;
    }
    cells.push(cur);
    return { path: cells[0], className: cells[1], sha256: cells[2] };
  });
}

export function buildManifests(classes: readonly string[], train: readonly ManifestEntry[], test: readonly ManifestEntry[], folds: readonly number[], k: number): ManifestFiles {
  const files: Record<string, string> = { 'classes.txt': classes.join('\n') + '\n', 'train.csv': toCsv(train), 'test.csv': toCsv(test) };
  for (let f = 0; f < k; f++) {
    files[`folds/fold${f + 1}/train.csv`] = toCsv(train.filter((_, i) => folds[i] !== f));
    files[`folds/fold${f + 1}/val.csv`] = toCsv(train.filter((_, i) => folds[i] === f));
  }
  const hash = sha256(Object.keys(files).sort().map((name) => `${name}\n${files[name]}`).join('\u0000'));
  return { files, hash };
}

/** Writes the manifests (and manifest.json) into `dir` atomically; an existing identical version is kept. */
export async function writeManifests(dir: string, manifests: ManifestFiles, summary: unknown): Promise<void> {
  const summaryText = `${JSON.stringify(summary, null, 2)}\n`;
  const existing = path.join(dir, 'manifest.json');
  if (fs.existsSync(existing) && fs.readFileSync(existing, 'utf8') === summaryText) return;
  await writeDirAtomic(dir, (tmp) => {
    for (const [name, text] of Object.entries(manifests.files)) {
      fs.mkdirSync(path.dirname(path.join(tmp, name)), { recursive: true });
      fs.writeFileSync(path.join(tmp, name), text);
    }
    fs.writeFileSync(path.join(tmp, 'manifest.json'), summaryText);
  });
}
