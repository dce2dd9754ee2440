/**
 * A teammate's colour, derived from their public key so it is the same in every
 * window and every session: a hash of the key's hex (FNV-1a, then mixed) picks a hue; saturation and
 * lightness are fixed so every hue reads on light and dark themes.
 */

export interface MemberColour {
  /** 0..359 */
  hue: number;
  /** The cursor bar and the name label's background. */
  cursor: string;
  /** Translucent background of their selections. */
  selection: string;
  /** Text on the label (dark or light, whichever reads on `cursor`). */
  labelText: string;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3's fmix32): FNV's low bits alone spread similar keys poorly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function memberColour(memberHex: string): MemberColour {
  const hue = fnv1a(memberHex.toLowerCase()) % 360;
  // Yellows and greens (roughly 45..190) are light at 45% lightness: dark text reads better there.
  const labelText = hue >= 45 && hue <= 190 ? '#111111' : '#ffffff';
  return {
    hue,
    cursor: `hsl(${hue}, 75%, 45%)`,
    selection: `hsla(${hue}, 75%, 45%, 0.25)`,
    labelText,
  };
}
