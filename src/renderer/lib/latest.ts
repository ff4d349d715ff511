/**
 * Overlapping requests whose answers replace the same state (a list reloaded after an action and again on an
 * event; a rule, then its folder, chosen in quick succession): a busy engine answers them out of order, and an
 * older answer applied last shows what the user, or the engine, has already left behind. Each request takes a
 * ticket; only the latest ticket's answer may be applied.
 */
export interface LatestGate {
  /** Starts a request: the returned check is true while no later request has started. */
  begin(): () => boolean;
}

export function latestGate(): LatestGate {
  let generation = 0;
  return {
    begin() {
      const mine = ++generation;
      return () => mine === generation;
    },
  };
}
