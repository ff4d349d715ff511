import type { Migration } from './index.js';

/**
 * A running summary of each collection's embedded item ids per model: count, sum and sum of squares modulo
 * 4294967291 (base/id-digest.ts). A vector index file records the same summary of the ids it holds, so
 * opening a collection's index compares two rows of numbers instead of reading every id (a million ids took a
 * second). Triggers keep it in step with every write to `items` (an item is embedded exactly when its model_id is
 * set), inside the writer's transaction, cascades included. The per-collection counts also answer the library's
 * item counts without scanning `items`.
 */
export const migration0004: Migration = {
  version: 4,
  name: 'embedded-id-sets',
  up(db) {
    const square = (id: string) => `((${id} * ${id}) % 4294967291)`;
    db.exec(`
      CREATE TABLE embedded_id_sets (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        model_id      TEXT NOT NULL,
        count         INTEGER NOT NULL,
        sum           INTEGER NOT NULL,
        squares       INTEGER NOT NULL,
        PRIMARY KEY (collection_id, model_id)
      ) STRICT, WITHOUT ROWID;

      INSERT INTO embedded_id_sets (collection_id, model_id, count, sum, squares)
        SELECT collection_id, model_id, COUNT(*), SUM(id), SUM(${square('id')}) FROM items
        WHERE model_id IS NOT NULL GROUP BY collection_id, model_id;

      CREATE TRIGGER items_ids_insert AFTER INSERT ON items WHEN new.model_id IS NOT NULL BEGIN
        INSERT INTO embedded_id_sets (collection_id, model_id, count, sum, squares)
          VALUES (new.collection_id, new.model_id, 1, new.id, ${square('new.id')})
          ON CONFLICT (collection_id, model_id)
          DO UPDATE SET count = count + 1, sum = sum + excluded.sum, squares = squares + excluded.squares;
      END;
      CREATE TRIGGER items_ids_delete AFTER DELETE ON items WHEN old.model_id IS NOT NULL BEGIN
        UPDATE embedded_id_sets SET count = count - 1, sum = sum - old.id, squares = squares - ${square('old.id')}
          WHERE collection_id = old.collection_id AND model_id = old.model_id;
      END;
      CREATE TRIGGER items_ids_update AFTER UPDATE OF collection_id, model_id ON items
        WHEN old.model_id IS NOT new.model_id OR old.collection_id IS NOT new.collection_id BEGIN
        UPDATE embedded_id_sets SET count = count - 1, sum = sum - old.id, squares = squares - ${square('old.id')}
          WHERE old.model_id IS NOT NULL AND collection_id = old.collection_id AND model_id = old.model_id;
        INSERT INTO embedded_id_sets (collection_id, model_id, count, sum, squares)
          SELECT new.collection_id, new.model_id, 1, new.id, ${square('new.id')} WHERE new.model_id IS NOT NULL
          ON CONFLICT (collection_id, model_id)
          DO UPDATE SET count = count + 1, sum = sum + excluded.sum, squares = squares + excluded.squares;
      END;
    `);
  },
};
