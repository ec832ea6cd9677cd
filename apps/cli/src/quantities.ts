/** CPU as the user writes it: millicores (`250`, `250m`) or cores with a decimal point (`0.5`, `2.0`). */
export function parseCpu(text: string): number {
  const value = text.trim();
  const millis = /^(\d+)m?$/.exec(value);
  if (millis) {
    return Number(millis[1]);
  }
  if (/^\d*\.\d+$/.test(value)) {
    return Math.round(Number(value) * 1000);
  }
  throw new Error(`--cpu must be millicores (250 or 250m) or cores (0.5), not "${text}"`);
}

const MEMORY_UNITS: Record<string, number> = {
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 * 1024,
  K: 1 / 1024,
  M: 1,
  G: 1024,
};

/** Memory as the user writes it: `64Mi`, `1Gi`, `512M`, or a bare number of MiB. Returns MiB. */
export function parseMemory(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G)?$/.exec(text.trim());
  if (!match) {
    throw new Error(`--memory must be a size such as 64Mi or 1Gi, not "${text}"`);
  }
  const mib = Number(match[1]) * MEMORY_UNITS[match[2] ?? 'Mi'];
  if (mib < 1 || !Number.isInteger(mib)) {
    throw new Error(`--memory must be a whole number of MiB (at least 1Mi), not "${text}"`);
  }
  return mib;
}

/** `K=V` pairs of repeated options (-e, -l) as an object; the first `=` splits, so a value may hold more. */
export function parsePairs(option: string, pairs: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new Error(`${option} takes KEY=VALUE, not "${pair}"`);
    }
    result[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return result;
}

/** How long ago, as kubectl prints ages: 45s, 12m, 3h, 5d. */
export function age(since: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (seconds < 120) {
    return `${seconds}s`;
  }
  if (seconds < 7200) {
    return `${Math.floor(seconds / 60)}m`;
  }
  if (seconds < 172_800) {
    return `${Math.floor(seconds / 3600)}h`;
  }
  return `${Math.floor(seconds / 86_400)}d`;
}
