// The register form's labels field: one key=value per line, read into the Director's labels object.

/** "key=value" per line; a key given twice gets a list of values. */
export function parseLabels(text: string): { labels?: Record<string, string | string[]>; error?: string } {
  // No prototype: a key like "__proto__" stays an ordinary key (the API then says it is reserved).
  const labels: Record<string, string | string[]> = Object.create(null);
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf('=');
    if (at <= 0) return { error: `line ${index + 1}: write each label as key=value` };
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    const existing = labels[key];
    labels[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return Object.keys(labels).length > 0 ? { labels } : {};
}
