import { describe, expect, it } from 'vitest';
import { defaultDataDir } from './paths.js';

describe('defaultDataDir', () => {
  it('prefers LOOKALIKE_DATA', () => {
    expect(defaultDataDir({ LOOKALIKE_DATA: '/x/y', XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u')).toBe('/x/y');
  });

  it('follows each OS convention', () => {
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.local/share/lookalike');
    expect(defaultDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u')).toBe('/xdg/lookalike');
    // The XDG spec says a relative value is invalid and must be ignored.
    expect(defaultDataDir({ XDG_DATA_HOME: 'rel' }, 'linux', '/home/u')).toBe('/home/u/.local/share/lookalike');
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/Lookalike');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\Lookalike',
    );
  });
});
