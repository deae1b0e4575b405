/**
 * The model registry on the SQL layer. Every change of a model (register, promote, rollback, alias set/delete)
 * first locks the model's `registered_models` row (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's
 * `BEGIN IMMEDIATE` locks the file), so concurrent changes from several processes serialise per model and always
 * see the aliases they change: one champion, no duplicate versions. Model files live under
 * `<registryDir>/<name>/v<N>/`; the database stores paths relative to `registryDir`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseJsonColumn, type SqlClient, type SqlQueryable } from './sql/index.ts';
import { systemClock, type Clock } from './common.ts';
import { HOST_TAG, removeAbandonedTemps } from './registry-files.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from './errors.ts';
import { checkAlias, checkModelName, gateRefusal } from './registry-gate.ts';
import { sha256FileSync } from '../lib/hash.ts';
import {
  CHALLENGER, CHAMPION, PREV_CHAMPION, type AliasEvent, type ModelLineage, type ModelVersion, type PromoteOptions, type PromoteResult,
  type RegisterOptions, type RegisterOutcome, type RegisteredModel, type RegistryStore, type RollbackResult,
} from './registry-types.ts';

export * from './registry-types.ts';

interface VersionRow {
  name: string; version: number; created_at: number; artifact_dir: string; model_file: string; sha256: string;
  size: number; lineage: unknown; metrics: unknown;
}

export class SqlRegistryStore implements RegistryStore {
  readonly #db: SqlClient;
  readonly #dir: string;
  readonly #now: Clock;

  constructor(db: SqlClient, opts: { registryDir: string; now?: Clock }) {
    this.#db = db;
    this.#dir = path.resolve(opts.registryDir);
    this.#now = opts.now ?? systemClock;
  }

  async register(opts: RegisterOptions): Promise<ModelVersion> {
    return (await this.#register(opts, false)).version;
  }

  registerUnlessPresent(opts: RegisterOptions): Promise<RegisterOutcome> {
    return this.#register(opts, true);
  }

  async #register(opts: RegisterOptions, unlessPresent: boolean): Promise<RegisterOutcome> {
    const { name } = opts;
    checkModelName(name);
    const modelFile = opts.modelFile ?? 'model.onnx';
    const source = path.resolve(opts.sourceDir);
    if (!fs.existsSync(path.join(source, modelFile))) {
      throw new InvalidInputError('REGISTRY_INVALID_SOURCE', `cannot register '${name}': ${path.join(source, modelFile)} does not exist (run the export stage first)`);
    }
    // Copy outside the lock (it can take a while); the rename into v<N> happens under it.
    const modelDir = path.join(this.#dir, name);
    fs.mkdirSync(modelDir, { recursive: true });
    removeAbandonedTemps(modelDir);
    const tmp = fs.mkdtempSync(path.join(modelDir, `.register.tmp-${process.pid}-${HOST_TAG}-`));
    let placed: string | undefined;
    try {
      fs.cpSync(source, tmp, { recursive: true });
      const digest = sha256FileSync(path.join(tmp, modelFile));
      const outcome = await this.#db.transaction(async (tx) => {
        // A retried transaction (PostgreSQL serialization failure) starts again from the copy.
        if (placed) { fs.renameSync(placed, tmp); placed = undefined; }
        const now = this.#now();
        await tx.exec('INSERT INTO registered_models (name, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', [name, now, now]);
        await tx.one(`SELECT name FROM registered_models WHERE name = ?${tx.forUpdate}`, [name]);
        if (unlessPresent) {
          const same = await tx.one<{ version: number }>('SELECT version FROM model_versions WHERE name = ? AND sha256 = ? ORDER BY version LIMIT 1', [name, digest.sha256]);
          if (same) return { version: same.version, created: false };
        }
        const { v } = (await tx.one<{ v: number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = ?', [name]))!;
        const rel = `${name}/v${v}`;
        const target = path.join(this.#dir, rel);
        // The database is the source of truth: a v<N> directory without a row is debris of a crashed attempt.
        fs.rmSync(target, { recursive: true, force: true });
        fs.renameSync(tmp, target);
        placed = target;
        await tx.exec(
          `INSERT INTO model_versions (name, version, created_at, artifact_dir, model_file, sha256, size, lineage, metrics)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [name, v, now, rel, modelFile, digest.sha256, digest.size, JSON.stringify(opts.lineage ?? {}), JSON.stringify(opts.metrics ?? {})],
        );
        const hasChampion = (await this.#aliasMap(tx, name))[CHAMPION] !== undefined;
        await this.#setAlias(tx, name, hasChampion ? CHALLENGER : CHAMPION, v, 'register');
        await tx.exec('UPDATE registered_models SET updated_at = ? WHERE name = ?', [now, name]);
        return { version: v, created: true };
      });
      placed = undefined;
      return { version: (await this.resolve(name, outcome.version))!, created: outcome.created };
    } catch (err) {
      if (placed) fs.rmSync(placed, { recursive: true, force: true });
      throw err;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  async resolve(name: string, ref: string | number): Promise<ModelVersion | undefined> {
    return this.#db.transaction(async (tx) => {
      const asVersion = typeof ref === 'number' ? ref : /^v?\d+$/.test(ref) ? Number(ref.replace(/^v/, '')) : undefined;
      const aliases = await this.#aliasMap(tx, name);
      const version = asVersion ?? (ref === 'latest' ? await this.#latest(tx, name) : aliases[ref as string]);
      if (version === undefined) return undefined;
      const row = await tx.one<VersionRow>('SELECT * FROM model_versions WHERE name = ? AND version = ?', [name, version]);
      return row && this.#version(row, aliases);
    }, { readOnly: true });
  }

  async hasModel(name: string): Promise<boolean> {
    return (await this.#db.one('SELECT 1 AS x FROM registered_models WHERE name = ?', [name])) !== undefined;
  }

  async listModels(): Promise<RegisteredModel[]> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query<{ name: string; created_at: number; updated_at: number; latest: number }>(
        `SELECT m.name, m.created_at, m.updated_at, COALESCE(MAX(v.version), 0) AS latest
         FROM registered_models m LEFT JOIN model_versions v ON v.name = m.name
         GROUP BY m.name, m.created_at, m.updated_at ORDER BY m.name`,
      );
      const aliases = await this.#allAliases(tx);
      return rows.map((r) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at, latestVersion: r.latest, aliases: aliases.get(r.name) ?? {} }));
    }, { readOnly: true });
  }

  async listVersions(name: string): Promise<ModelVersion[]> {
    return this.#db.transaction(async (tx) => {
      const aliases = await this.#aliasMap(tx, name);
      const rows = await tx.query<VersionRow>('SELECT * FROM model_versions WHERE name = ? ORDER BY version', [name]);
      return rows.map((r) => this.#version(r, aliases));
    }, { readOnly: true });
  }

  async listAllVersions(): Promise<ModelVersion[]> {
    return this.#db.transaction(async (tx) => {
      const aliases = await this.#allAliases(tx);
      const rows = await tx.query<VersionRow>('SELECT * FROM model_versions ORDER BY name, version');
      return rows.map((r) => this.#version(r, aliases.get(r.name) ?? {}));
    }, { readOnly: true });
  }

  aliases(name: string): Promise<Record<string, number>> {
    return this.#aliasMap(this.#db, name);
  }

  async promote(name: string, opts: PromoteOptions): Promise<PromoteResult> {
    return this.#db.transaction(async (tx): Promise<PromoteResult> => {
      await this.#lockModel(tx, name);
      const aliases = await this.#aliasMap(tx, name);
      const challenger = aliases[CHALLENGER];
      const champion = aliases[CHAMPION];
      if (challenger === undefined) {
        throw new InvalidStateError('REGISTRY_NO_CHALLENGER', `model '${name}' has no challenger to promote: register a new version first (or set the alias with 'pipeline registry alias')`);
      }
      if (champion === undefined || champion === challenger) {
        await this.#setAlias(tx, name, CHAMPION, challenger, 'promote');
        await this.#deleteAlias(tx, name, CHALLENGER, 'promote');
        return { champion: challenger, forced: false };
      }
      const metricOf = async (v: number) => {
        const row = await tx.one<{ metrics: unknown }>('SELECT metrics FROM model_versions WHERE name = ? AND version = ?', [name, v]);
        const value = parseJsonColumn<Record<string, unknown>>(row?.metrics, {})[opts.metric];
        return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
      };
      const cv = await metricOf(challenger);
      const pv = await metricOf(champion);
      const refusal = gateRefusal(name, opts, { challenger, champion, cv, pv });
      if (refusal && !opts.force) throw refusal;
      await this.#setAlias(tx, name, PREV_CHAMPION, champion, 'promote');
      await this.#setAlias(tx, name, CHAMPION, challenger, 'promote');
      await this.#deleteAlias(tx, name, CHALLENGER, 'promote');
      return { champion: challenger, prevChampion: champion, challengerValue: cv, championValue: pv, forced: refusal !== undefined };
    });
  }

  async rollback(name: string): Promise<RollbackResult> {
    return this.#db.transaction(async (tx): Promise<RollbackResult> => {
      await this.#lockModel(tx, name);
      const aliases = await this.#aliasMap(tx, name);
      const prev = aliases[PREV_CHAMPION];
      const champion = aliases[CHAMPION];
      if (prev === undefined) {
        throw new InvalidStateError('REGISTRY_NO_PREVIOUS_CHAMPION', `model '${name}' has no prev_champion to roll back to (nothing was promoted since the last rollback): set 'champion' to a version explicitly instead`);
      }
      await this.#setAlias(tx, name, CHAMPION, prev, 'rollback');
      await this.#deleteAlias(tx, name, PREV_CHAMPION, 'rollback');
      if (champion !== undefined && champion !== prev) {
        await this.#setAlias(tx, name, CHALLENGER, champion, 'rollback');
        return { champion: prev, challenger: champion };
      }
      return { champion: prev };
    });
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    checkAlias(alias);
    await this.#db.transaction(async (tx) => {
      await this.#lockModel(tx, name);
      if (!(await tx.one('SELECT 1 AS x FROM model_versions WHERE name = ? AND version = ?', [name, version]))) {
        throw new NotFoundError('REGISTRY_UNKNOWN_VERSION', `model '${name}' has no version ${version}: see 'pipeline registry list'`);
      }
      await this.#setAlias(tx, name, alias, version, 'set');
    });
  }

  async deleteAlias(name: string, alias: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      await this.#lockModel(tx, name);
      return this.#deleteAlias(tx, name, alias, 'delete');
    });
  }

  async aliasGeneration(name: string): Promise<number> {
    const row = await this.#db.one<{ g: number }>('SELECT alias_generation AS g FROM registered_models WHERE name = ?', [name]);
    return row?.g ?? 0;
  }

  async history(name: string, limit = 100): Promise<AliasEvent[]> {
    const rows = await this.#db.query<{ name: string; alias: string; from_version: number | null; to_version: number | null; reason: string; ts: number }>(
      'SELECT name, alias, from_version, to_version, reason, ts FROM model_alias_events WHERE name = ? ORDER BY id DESC LIMIT ?',
      [name, Math.max(0, Math.floor(limit))],
    );
    return rows.map((r) => ({ name: r.name, alias: r.alias, fromVersion: r.from_version, toVersion: r.to_version, reason: r.reason, ts: r.ts }));
  }

  /** Takes the model's row lock; throws naming the registered models if there is none. */
  async #lockModel(tx: SqlQueryable, name: string): Promise<void> {
    if (!(await tx.one(`SELECT name FROM registered_models WHERE name = ?${tx.forUpdate}`, [name]))) {
      const known = (await tx.query<{ name: string }>('SELECT name FROM registered_models ORDER BY name')).map((r) => r.name).join(', ') || 'none';
      throw new NotFoundError('REGISTRY_UNKNOWN_MODEL', `no registered model named '${name}' (registered: ${known}): run the register stage first`);
    }
  }

  async #latest(db: SqlQueryable, name: string): Promise<number | undefined> {
    return (await db.one<{ v: number | null }>('SELECT MAX(version) AS v FROM model_versions WHERE name = ?', [name]))?.v ?? undefined;
  }

  async #aliasMap(db: SqlQueryable, name: string): Promise<Record<string, number>> {
    const rows = await db.query<{ alias: string; version: number }>('SELECT alias, version FROM model_aliases WHERE name = ? ORDER BY alias', [name]);
    return Object.fromEntries(rows.map((r) => [r.alias, r.version]));
  }

  async #allAliases(db: SqlQueryable): Promise<Map<string, Record<string, number>>> {
    const out = new Map<string, Record<string, number>>();
    for (const r of await db.query<{ name: string; alias: string; version: number }>('SELECT name, alias, version FROM model_aliases ORDER BY name, alias')) {
      let m = out.get(r.name);
      if (!m) out.set(r.name, (m = {}));
      m[r.alias] = r.version;
    }
    return out;
  }

  /** Must run inside a transaction that holds the model's row lock. */
  async #setAlias(tx: SqlQueryable, name: string, alias: string, version: number, reason: string): Promise<void> {
    const before = (await this.#aliasMap(tx, name))[alias] ?? null;
    if (before === version) return;
    const now = this.#now();
    await tx.exec(
      'INSERT INTO model_aliases (name, alias, version, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at',
      [name, alias, version, now],
    );
    await this.#changed(tx, name, alias, before, version, reason, now);
  }

  async #deleteAlias(tx: SqlQueryable, name: string, alias: string, reason: string): Promise<boolean> {
    const before = (await this.#aliasMap(tx, name))[alias];
    if (before === undefined) return false;
    await tx.exec('DELETE FROM model_aliases WHERE name = ? AND alias = ?', [name, alias]);
    await this.#changed(tx, name, alias, before, null, reason, this.#now());
    return true;
  }

  async #changed(tx: SqlQueryable, name: string, alias: string, from: number | null, to: number | null, reason: string, now: number): Promise<void> {
    await tx.exec('INSERT INTO model_alias_events (name, alias, from_version, to_version, reason, ts) VALUES (?, ?, ?, ?, ?, ?)', [name, alias, from, to, reason, now]);
    await tx.exec('UPDATE registered_models SET alias_generation = alias_generation + 1, updated_at = ? WHERE name = ?', [now, name]);
  }

  #version(row: VersionRow, aliases: Record<string, number>): ModelVersion {
    const artifactDir = path.join(this.#dir, row.artifact_dir);
    return {
      name: row.name, version: row.version, artifactDir, modelFile: path.join(artifactDir, row.model_file),
      sha256: row.sha256, size: row.size, createdAt: row.created_at,
      lineage: parseJsonColumn<ModelLineage>(row.lineage, {}), metrics: parseJsonColumn<Record<string, number>>(row.metrics, {}),
      aliases: Object.entries(aliases).filter(([, v]) => v === row.version).map(([a]) => a).sort(),
    };
  }
}
