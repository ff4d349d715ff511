/** Match state: the last run (ours vs theirs), decisions applied in place, and the CSV export. */
import { useCallback, useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import type { Output } from '../../lib/api';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';
import { latestGate } from '../../lib/latest';

export type MatchResult = Output<'matchRun'>;
export type MatchRow = MatchResult['rows'][number];
export type MatchHit = MatchRow['matches'][number];
export type Decision = MatchHit['decision'];
export type MatchItem = MatchRow['ours'];

export interface MatchParams {
  ours: string;
  theirs: string;
  k: number;
  oneToOne: boolean;
}

export function useMatch() {
  const client = useClient();
  const [result, setResult] = useState<MatchResult | null>(null);
  const [params, setParams] = useState<MatchParams | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);

  // Of overlapping runs, only the latest one's answer is shown.
  const [gate] = useState(latestGate);
  const run = useCallback(
    async (p: MatchParams) => {
      const current = gate.begin();
      setParams(p);
      setLoading(true);
      setError(null);
      try {
        const value = await unwrap(client.api.matchRun(p));
        if (current()) setResult(value);
      } catch (err) {
        if (current()) setError(toPayload(err));
      } finally {
        if (current()) setLoading(false);
      }
    },
    [client, gate],
  );

  const decide = useCallback(
    async (ours: number, theirs: number, decision: Decision) => {
      try {
        const saved = await unwrap(client.api.matchSetDecision({ ours, theirs, decision }));
        setResult((prev) =>
          prev && {
            ...prev,
            rows: prev.rows.map((row) =>
              row.ours.id !== ours
                ? row
                : { ...row, matches: row.matches.map((m) => (m.item.id === theirs ? { ...m, decision: saved.decision } : m)) },
            ),
          },
        );
      } catch (err) {
        setError(toPayload(err));
      }
    },
    [client],
  );

  /** The CSV text of the current run (the engine builds it; the page only offers it as a download). */
  const exportCsv = useCallback(async (): Promise<{ csv: string; rows: number } | null> => {
    if (!params) return null;
    try {
      const out = await unwrap(client.api.matchExportCsv(params));
      return { csv: out.csv ?? '', rows: out.rows };
    } catch (err) {
      setError(toPayload(err));
      return null;
    }
  }, [client, params]);

  return { result, params, loading, error, clearError: () => setError(null), run, decide, exportCsv };
}
