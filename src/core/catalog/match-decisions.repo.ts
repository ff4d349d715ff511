/**
 * The user's decisions on match pairs (table match_decisions, migration 0002), keyed by the two contents' hashes
 * so that they survive rescans, moves and renames.
 */
import type { Db } from './database.js';

export type MatchDecision = 'accepted' | 'rejected';

export interface MatchDecisionRow {
  oursHash: Buffer;
  theirsHash: Buffer;
  decision: MatchDecision;
  decidedAt: number;
}

export class MatchDecisionsRepo {
  constructor(private readonly db: Db) {}

  /** Every accepted pair. */
  accepted(): Pick<MatchDecisionRow, 'oursHash' | 'theirsHash'>[] {
    return this.db
      .prepare("SELECT ours_hash AS oursHash, theirs_hash AS theirsHash FROM match_decisions WHERE decision = 'accepted'")
      .all() as Pick<MatchDecisionRow, 'oursHash' | 'theirsHash'>[];
  }

  /** Looks decisions up one pair at a time (one prepared statement for many lookups). */
  lookup(): (oursHash: Buffer, theirsHash: Buffer) => MatchDecision | undefined {
    const stmt = this.db.prepare('SELECT decision FROM match_decisions WHERE ours_hash = ? AND theirs_hash = ?').pluck();
    return (oursHash, theirsHash) => stmt.get(oursHash, theirsHash) as MatchDecision | undefined;
  }

  /** Records a decision (replacing an earlier one), or with null forgets it. */
  set(oursHash: Buffer, theirsHash: Buffer, decision: MatchDecision | null, now = Date.now()): void {
    if (decision === null) {
      this.db.prepare('DELETE FROM match_decisions WHERE ours_hash = ? AND theirs_hash = ?').run(oursHash, theirsHash);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO match_decisions (ours_hash, theirs_hash, decision, decided_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (ours_hash, theirs_hash) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at`,
      )
      .run(oursHash, theirsHash, decision, now);
  }
}
