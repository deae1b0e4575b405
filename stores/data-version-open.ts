/**
 * The data-version store for the synchronous `openStores` of today: its own async connection (the SQL layer),
 * opened and migrated on first use. When the stores open through one async composition
 * root on one `SqlClient`, this goes: `new SqlDataVersionStore(db)` there, with DATA_VERSION_MIGRATIONS among the
 * store's migrations.
 */
import { DATA_VERSION_MIGRATIONS, SqlDataVersionStore, type DataVersionStore } from './data-version-store.ts';
import { migrate, openSql, parseStoreUrl, type SqlClient } from './sql/index.ts';

export class DeferredDataVersionStore implements DataVersionStore {
  readonly #url: string;
  #client?: Promise<SqlClient>;
  #store?: Promise<SqlDataVersionStore>;

  /** `url`: a store URL of the SQL layer (`sqlite:<file>` or `postgres://...`). */
  constructor(url: string) {
    this.#url = url;
  }

  #open(): Promise<SqlDataVersionStore> {
    this.#store ??= (async () => {
      const db = await (this.#client = openSql(parseStoreUrl(this.#url)));
      await migrate(db, [DATA_VERSION_MIGRATIONS]);
      return new SqlDataVersionStore(db);
    })();
    return this.#store;
  }

  record: DataVersionStore['record'] = async (input) => (await this.#open()).record(input);
  get: DataVersionStore['get'] = async (ref) => (await this.#open()).get(ref);
  list: DataVersionStore['list'] = async () => (await this.#open()).list();
  images: DataVersionStore['images'] = async (version, filter) => (await this.#open()).images(version, filter);
  diff: DataVersionStore['diff'] = async (from, to) => (await this.#open()).diff(from, to);

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => undefined);
    await client?.close();
  }
}
