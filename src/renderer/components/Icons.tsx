/** Inline SVG icons (no icon font, no external requests; the CSP allows neither). */
const base = { width: 16, height: 16, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round', strokeLinejoin: 'round' } as const;

export const FolderIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z" />
  </svg>
);
export const ImageIcon = ({ size = 16 }: { size?: number }) => (
  <svg {...base} width={size} height={size} aria-hidden="true">
    <rect x="3" y="3" width="18" height="18" rx="2" />
    <circle cx="8.5" cy="8.5" r="1.5" />
    <path d="m21 15-5-5L5 21" />
  </svg>
);
export const SearchIcon = ({ size = 16 }: { size?: number }) => (
  <svg {...base} width={size} height={size} aria-hidden="true">
    <circle cx="11" cy="11" r="7" />
    <path d="m21 21-4.3-4.3" />
  </svg>
);
export const RefreshIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M21 12a9 9 0 1 1-3-6.7L21 8" />
    <path d="M21 3v5h-5" />
  </svg>
);
export const XIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M18 6 6 18M6 6l12 12" />
  </svg>
);
export const AlertIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M12 9v4M12 17h.01" />
    <path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z" />
  </svg>
);
export const LibraryIcon = ({ size = 16 }: { size?: number }) => (
  <svg {...base} width={size} height={size} aria-hidden="true">
    <rect x="3" y="3" width="7" height="7" rx="1" />
    <rect x="14" y="3" width="7" height="7" rx="1" />
    <rect x="3" y="14" width="7" height="7" rx="1" />
    <rect x="14" y="14" width="7" height="7" rx="1" />
  </svg>
);
export const LogoMark = () => (
  <svg className="logo" width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
    <rect width="32" height="32" rx="7" fill="var(--accent)" />
    <circle cx="13" cy="16" r="7" fill="#fff" />
    <circle cx="19" cy="16" r="7" fill="none" stroke="#fff" strokeWidth="2.5" />
  </svg>
);
