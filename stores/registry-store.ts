/**
 * SQLite implementation of the model registry. Every alias change runs in a `BEGIN IMMEDIATE` transaction (the
 * write lock is taken before anything is read), so concurrent promotions, rollbacks and registrations from
 * several processes serialise and always see the aliases they change. Model files live under
 * `<registryDir>/<name>/v<N>/`; the database stores paths relative to `registryDir`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { migrate, type Db } from './db.ts';
import { REGISTRY_MIGRATIONS } from './registry-schema.ts';
import { isProcessAlive, parseJson, systemClock, type Clock } from './common.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from './errors.ts';
import { checkAlias, checkModelName, gateRefusal } from './registry-gate.ts';
import { sha256FileSync } from '../runner/hash.ts';
import {
  CHALLENGER, CHAMPION, PREV_CHAMPION, type AliasEvent, type ModelVersion, type PromoteOptions, type PromoteResult,
  type RegisterOptions, type RegisteredModel, type RegistryStore, type RollbackResult,
} from './registry-types.ts';

export * from './registry-types.ts';



interface VersionRow {
  name: string; version: number; created_at: number; artifact_dir: string; model_file: string; sha256: string;
  size: number; lineage: string; metrics: string;
}

export class SqliteRegistryStore implements RegistryStore {
  readonly #db: Db;
  readonly #dir: string;
  readonly #now: Clock;

  constructor(db: Db, opts: { registryDir: string; now?: Clock }) {
    migrate(db, 'registry', REGISTRY_MIGRATIONS);
    this.#db = db;
    this.#dir = path.resolve(opts.registryDir);
    this.#now = opts.now ?? systemClock;
  }

  register(opts: RegisterOptions): ModelVersion {
    const { name } = opts;
    checkModelName(name);
    const modelFile = opts.modelFile ?? 'model.onnx';
    const source = path.resolve(opts.sourceDir);
    if (!fs.existsSync(path.join(source, modelFile))) {
      throw new InvalidInputError('REGISTRY_INVALID_SOURCE', `cannot register '${name}': ${path.join(source, modelFile)} does not exist (run the export stage first)`);
    }
    // Copy outside the write lock (it can take a while); the rename into v<N> happens under it.
    const modelDir = path.join(this.#dir, name);
    fs.mkdirSync(modelDir, { recursive: true });
    removeAbandonedTemps(modelDir);
    const tmp = fs.mkdtempSync(path.join(modelDir, `.register.tmp-${process.pid}-`));
    let placed: string | undefined;
    try {
      fs.cpSync(source, tmp, { recursive: true });
      const digest = sha256FileSync(path.join(tmp, modelFile));
      const version = this.#db.transaction(() => {
        const now = this.#now();
        this.#db.prepare('INSERT INTO registered_models (name, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(name, now, now);
        const { v } = this.#db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = ?').get(name) as { v: number };
        const rel = `${name}/v${v}`;
        const target = path.join(this.#dir, rel);
        // The database is the source of truth: a v<N> directory without a row is debris of a crashed attempt.
        fs.rmSync(target, { recursive: true, force: true });
        fs.renameSync(tmp, target);
        placed = target;
        this.#db.prepare(
          `INSERT INTO model_versions (name, version, created_at, artifact_dir, model_file, sha256, size, lineage, metrics)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(name, v, now, rel, modelFile, digest.sha256, digest.size, JSON.stringify(opts.lineage ?? {}), JSON.stringify(opts.metrics ?? {}));
        const hasChampion = this.#aliasMap(name)[CHAMPION] !== undefined;
        this.#setAlias(name, hasChampion ? CHALLENGER : CHAMPION, v, 'register');
        this.#db.prepare('UPDATE registered_models SET updated_at = ? WHERE name = ?').run(now, name);
        return v;
      }).immediate();
      placed = undefined;
      return this.resolve(name, version)!;
    } catch (err) {
      if (placed) fs.rmSync(placed, { recursive: true, force: true });
      throw err;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  resolve(name: string, ref: string | number): ModelVersion | undefined {
    return this.#db.transaction(() => {
      const asVersion = typeof ref === 'number' ? ref : /^v?\d+$/.test(ref) ? Number(ref.replace(/^v/, '')) : undefined;
      const version = asVersion ?? (ref === 'latest' ? this.#latest(name) : this.#aliasMap(name)[ref as string]);
      if (version === undefined) return undefined;
      const row = this.#db.prepare('SELECT * FROM model_versions WHERE name = ? AND version = ?').get(name, version) as VersionRow | undefined;
      return row && this.#version(row, this.#aliasMap(name));
    })();
  }

  listModels(): RegisteredModel[] {
    return this.#db.transaction(() => {
      const rows = this.#db.prepare(
        `SELECT m.name, m.created_at, m.updated_at, COALESCE(MAX(v.version), 0) AS latest
         FROM registered_models m LEFT JOIN model_versions v ON v.name = m.name
         GROUP BY m.name, m.created_at, m.updated_at ORDER BY m.name`,
      ).all() as { name: string; created_at: number; updated_at: number; latest: number }[];
      return rows.map((r) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at, latestVersion: r.latest, aliases: this.#aliasMap(r.name) }));
    })();
  }

  listVersions(name: string): ModelVersion[] {
    return this.#db.transaction(() => {
      const aliases = this.#aliasMap(name);
      const rows = this.#db.prepare('SELECT * FROM model_versions WHERE name = ? ORDER BY version').all(name) as VersionRow[];
      return rows.map((r) => this.#version(r, aliases));
    })();
  }

  aliases(name: string): Record<string, number> {
    return this.#aliasMap(name);
  }

  promote(name: string, opts: PromoteOptions): PromoteResult {
    return this.#db.transaction((): PromoteResult => {
      this.#model(name);
      const aliases = this.#aliasMap(name);
      const challenger = aliases[CHALLENGER];
      const champion = aliases[CHAMPION];
      if (challenger === undefined) {
        throw new InvalidStateError('REGISTRY_NO_CHALLENGER', `model '${name}' has no challenger to promote: register a new version first (or set the alias with 'pipeline registry alias')`);
      }
      if (champion === undefined || champion === challenger) {
        this.#setAlias(name, CHAMPION, challenger, 'promote');
        this.#deleteAlias(name, CHALLENGER, 'promote');
        return { champion: challenger, forced: false };
      }
      const metricOf = (v: number) => {
        const value = this.#metrics(name, v)[opts.metric];
        return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
      };
      const cv = metricOf(challenger);
      const pv = metricOf(champion);
      const refusal = gateRefusal(name, opts, { challenger, champion, cv, pv });
      if (refusal && !opts.force) throw refusal;
      this.#setAlias(name, PREV_CHAMPION, champion, 'promote');
      this.#setAlias(name, CHAMPION, challenger, 'promote');
      this.#deleteAlias(name, CHALLENGER, 'promote');
      return { champion: challenger, prevChampion: champion, challengerValue: cv, championValue: pv, forced: refusal !== undefined };
    }).immediate();
  }

  rollback(name: string): RollbackResult {
    return this.#db.transaction((): RollbackResult => {
      this.#model(name);
      const aliases = this.#aliasMap(name);
      const prev = aliases[PREV_CHAMPION];
      const champion = aliases[CHAMPION];
      if (prev === undefined) {
        throw new InvalidStateError('REGISTRY_NO_PREVIOUS_CHAMPION', `model '${name}' has no prev_champion to roll back to (nothing was promoted since the last rollback): set 'champion' to a version explicitly instead`);
      }
      this.#setAlias(name, CHAMPION, prev, 'rollback');
      this.#deleteAlias(name, PREV_CHAMPION, 'rollback');
      if (champion !== undefined && champion !== prev) {
        this.#setAlias(name, CHALLENGER, champion, 'rollback');
        return { champion: prev, challenger: champion };
      }
      return { champion: prev };
    }).immediate();
  }

  setAlias(name: string, alias: string, version: number): void {
    checkAlias(alias);
    this.#db.transaction(() => {
      this.#model(name);
      if (!this.#db.prepare('SELECT 1 FROM model_versions WHERE name = ? AND version = ?').get(name, version)) {
        throw new NotFoundError('REGISTRY_UNKNOWN_VERSION', `model '${name}' has no version ${version}: see 'pipeline registry list ${name}'`);
      }
      this.#setAlias(name, alias, version, 'set');
    }).immediate();
  }

  deleteAlias(name: string, alias: string): boolean {
    return this.#db.transaction(() => {
      this.#model(name);
      return this.#deleteAlias(name, alias, 'delete');
    }).immediate();
  }

  aliasGeneration(name: string): number {
    const row = this.#db.prepare('SELECT alias_generation AS g FROM registered_models WHERE name = ?').get(name) as { g: number } | undefined;
    return row?.g ?? 0;
  }

  history(name: string, limit = 100): AliasEvent[] {
    const rows = this.#db.prepare(
      'SELECT name, alias, from_version, to_version, reason, ts FROM model_alias_events WHERE name = ? ORDER BY id DESC LIMIT ?',
    ).all(name, limit) as { name: string; alias: string; from_version: number | null; to_version: number | null; reason: string; ts: number }[];
    return rows.map((r) => ({ name: r.name, alias: r.alias, fromVersion: r.from_version, toVersion: r.to_version, reason: r.reason, ts: r.ts }));
  }

  #model(name: string): void {
    if (!this.#db.prepare('SELECT 1 FROM registered_models WHERE name = ?').get(name)) {
      const known = (this.#db.prepare('SELECT name FROM registered_models ORDER BY name').pluck().all() as string[]).join(', ') || 'none';
      throw new NotFoundError('REGISTRY_UNKNOWN_MODEL', `no registered model named '${name}' (registered: ${known}): run the register stage first`);
    }
  }

  #latest(name: string): number | undefined {
    return (this.#db.prepare('SELECT MAX(version) AS v FROM model_versions WHERE name = ?').get(name) as { v: number | null }).v ?? undefined;
  }

  #aliasMap(name: string): Record<string, number> {
    const rows = this.#db.prepare('SELECT alias, version FROM model_aliases WHERE name = ? ORDER BY alias').all(name) as { alias: string; version: number }[];
    return Object.fromEntries(rows.map((r) => [r.alias, r.version]));
  }

  #metrics(name: string, version: number): Record<string, number> {
    const row = this.#db.prepare('SELECT metrics FROM model_versions WHERE name = ? AND version = ?').get(name, version) as { metrics: string };
    return parseJson(row.metrics, {});
  }

  /** Must run inside an immediate transaction. */
  #setAlias(name: string, alias: string, version: number, reason: string): void {
    const before = this.#aliasMap(name)[alias] ?? null;
    if (before === version) return;
    const now = this.#now();
    this.#db.prepare(
      'INSERT INTO model_aliases (name, alias, version, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at',
    ).run(name, alias, version, now);
    this.#changed(name, alias, before, version, reason, now);
  }

  #deleteAlias(name: string, alias: string, reason: string): boolean {
    const before = this.#aliasMap(name)[alias];
    if (before === undefined) return false;
    this.#db.prepare('DELETE FROM model_aliases WHERE name = ? AND alias = ?').run(name, alias);
    this.#changed(name, alias, before, null, reason, this.#now());
    return true;
  }

  #changed(name: string, alias: string, from: number | null, to: number | null, reason: string, now: number): void {
    this.#db.prepare('INSERT INTO model_alias_events (name, alias, from_version, to_version, reason, ts) VALUES (?, ?, ?, ?, ?, ?)')
      .run(name, alias, from, to, reason, now);
    this.#db.prepare('UPDATE registered_models SET alias_generation = alias_generation + 1, updated_at = ? WHERE name = ?').run(now, name);
  }

  #version(row: VersionRow, aliases: Record<string, number>): ModelVersion {
    const artifactDir = path.join(this.#dir, row.artifact_dir);
    return {
      name: row.name, version: row.version, artifactDir, modelFile: path.join(artifactDir, row.model_file),
      sha256: row.sha256, size: row.size, createdAt: row.created_at,
      lineage: parseJson(row.lineage, {}), metrics: parseJson(row.metrics, {}),
      aliases: Object.entries(aliases).filter(([, v]) => v === row.version).map(([a]) => a).sort(),
    };
  }
}

/** Copies left by a registering process that died (its pid is gone and the copy is over an hour old). */
function removeAbandonedTemps(modelDir: string): void {
  for (const entry of fs.readdirSync(modelDir)) {
    const m = /^\.register\.tmp-(\d+)-/.exec(entry);
    if (!m || isProcessAlive(Number(m[1]))) continue;
    const dir = path.join(modelDir, entry);
    const st = fs.statSync(dir, { throwIfNoEntry: false }); // another process may be removing it too
    if (st && Date.now() - st.mtimeMs > 3_600_000) fs.rmSync(dir, { recursive: true, force: true });
  }
}
