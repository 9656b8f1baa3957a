/** Inline SVG icons of the interaction panels (no emoji, no icon font): 20 px, currentColor. */
import type { ReactionKind } from '../../../signaling/protocol/qa';

const Svg = ({ children }: { children: React.ReactNode }) => (
  <svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
    {children}
  </svg>
);

export const UpIcon = () => (
  <Svg>
    <path d="M12 19V5M5 12l7-7 7 7" />
  </Svg>
);
export const PinIcon = () => (
  <Svg>
    <path d="M9 4h6l-1 6 4 4H6l4-4-1-6zM12 14v7" />
  </Svg>
);
export const CheckIcon = () => (
  <Svg>
    <path d="M5 12l5 5L20 7" />
  </Svg>
);
export const EyeOffIcon = () => (
  <Svg>
    <path d="M3 3l18 18M10.6 10.6a2 2 0 002.8 2.8M9.9 5.1A10 10 0 0112 5c5 0 9 4.5 10 7a14 14 0 01-3.2 4.2M6.3 6.3A14 14 0 002 12c1 2.5 5 7 10 7a10 10 0 004.2-.9" />
  </Svg>
);
export const ThumbIcon = () => (
  <Svg>
    <path d="M7 11v9H4v-9h3zM7 11l4-8a2 2 0 012 2v4h6a2 2 0 012 2l-2 7a2 2 0 01-2 2H7" />
  </Svg>
);
export const ClapIcon = () => (
  <Svg>
    <path d="M8 13l-2-2a1.5 1.5 0 012-2l4 4M10 9L8 7a1.5 1.5 0 012-2l5 5M13 8l-1-1a1.5 1.5 0 012-2l4 4a6 6 0 01-8 8l-5-5a1.5 1.5 0 012-2l2 2M17 2l1 2M21 6l-2 1" />
  </Svg>
);
export const QuestionIcon = () => (
  <Svg>
    <circle cx="12" cy="12" r="9" />
    <path d="M9.5 9a2.5 2.5 0 115 0c0 2-2.5 2-2.5 4M12 17h.01" />
  </Svg>
);
export const MuteIcon = () => (
  <Svg>
    <path d="M11 5L6 9H3v6h3l5 4V5zM22 9l-6 6M16 9l6 6" />
  </Svg>
);

export const REACTION_ICONS: Record<ReactionKind, () => React.JSX.Element> = {
  agree: ThumbIcon,
  applause: ClapIcon,
  question: QuestionIcon,
  cant_hear: MuteIcon,
};
