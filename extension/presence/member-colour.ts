/**
 * A teammate's colour, derived from their public key so it is the same in every
 * window and every session: a hash of the key's hex (FNV-1a, then mixed) picks a hue; saturation and
 * lightness are fixed so every hue reads on light and dark themes.
 */
import { stringHash32 } from '../../protocol/src/index.js';

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

export function memberColour(memberHex: string): MemberColour {
  const hue = stringHash32(memberHex.toLowerCase()) % 360;
  // Yellows and greens (roughly 45..190) are light at 45% lightness: dark text reads better there.
  const labelText = hue >= 45 && hue <= 190 ? '#111111' : '#ffffff';
  return {
    hue,
    cursor: `hsl(${hue}, 75%, 45%)`,
    selection: `hsla(${hue}, 75%, 45%, 0.25)`,
    labelText,
  };
}
