/** How long ago, as operators read it: 5s, 3m, 2h, 4d. */
export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) {
    return `${seconds}s`;
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m`;
  }
  if (seconds < 86400) {
    return `${Math.floor(seconds / 3600)}h`;
  }
  return `${Math.floor(seconds / 86400)}d`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** `K=V` lines into a map; empty lines are skipped. Returns the first bad line's number instead, if any. */
export function pairs(text: string): Record<string, string> | { badLine: number } {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') {
      continue;
    }
    const at = line.indexOf('=');
    if (at <= 0) {
      return { badLine: i + 1 };
    }
    out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/** A command line into its words: spaces separate, quotes ('…', "…") keep a word together. */
export function words(text: string): string[] {
  const out: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) {
    out.push(match[1] ?? match[2] ?? match[3]);
  }
  return out;
}
