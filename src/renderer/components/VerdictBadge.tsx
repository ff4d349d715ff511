/**
 * The one score a user reads: "Same product · 92%" (the calibrated chance of the same product), "Text match" for a
 * hit found by text alone, or, where the library's model has no calibration, the raw similarity as before. The raw
 * score stays in the tooltip and in data-score for those who want it.
 */
import { useI18n } from '../i18n';
import { formatChance, formatScore } from '../lib/format';

export interface VerdictLike {
  score: number;
  verdict?: 'same' | 'similar' | 'different' | null | undefined;
  confidence?: number | null | undefined;
}

/** The badge's text and tooltip (also what an aria-label says). */
export function useVerdictText(): (hit: VerdictLike, kind: 'image' | 'text') => { text: string; hint: string; verdict: string } {
  const { t } = useI18n();
  return (hit, kind) => {
    if (kind === 'text') return { text: t.scores.textMatch, hint: t.scores.textHint, verdict: 'text' };
    if (hit.verdict && hit.confidence !== null && hit.confidence !== undefined) {
      const percent = formatChance(hit.confidence);
      return { text: t.scores.withConfidence(t.scores.verdict[hit.verdict], percent), hint: t.scores.hint(percent, formatScore(hit.score)), verdict: hit.verdict };
    }
    // A verdict from the model's raw-cosine thresholds (no calibration for this model): the word and the score.
    if (hit.verdict) return { text: t.scores.withConfidence(t.scores.verdict[hit.verdict], formatScore(hit.score)), hint: formatScore(hit.score), verdict: hit.verdict };
    return { text: formatScore(hit.score), hint: formatScore(hit.score), verdict: 'score' };
  };
}

export function VerdictBadge({ hit, kind, className }: { hit: VerdictLike; kind: 'image' | 'text'; className: string }) {
  const v = useVerdictText()(hit, kind);
  return (
    <span className={`${className} score-${v.verdict}`} title={v.hint} data-testid="hit-score" data-verdict={v.verdict}>
      {v.text}
    </span>
  );
}
