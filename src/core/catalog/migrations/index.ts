import type { Db } from '../database.js';
import { migration0001 } from './0001-init.js';
import { migration0002 } from './0002-dedupe-match.js';
import { migration0003 } from './0003-products.js';
import { migration0004 } from './0004-embedded-id-sets.js';
import { migration0005 } from './0005-item-regions.js';
import { migration0006 } from './0006-history-downscale.js';
import { migration0007 } from './0007-pending-items.js';

/** One numbered schema step; `up` runs inside the runner's transaction. */
export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
  /**
   * Run with foreign-key enforcement off (a table rebuild: a DROP TABLE with it on cascades into every table that
   * references the dropped one); the runner checks every foreign key before it commits.
   */
  foreignKeysOff?: boolean;
}

/** Every migration in order; append only, never edit a released one. */
export const migrations: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006, migration0007];
