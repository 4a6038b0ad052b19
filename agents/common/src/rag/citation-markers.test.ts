import { describe, expect, it } from 'vitest';
import { citedIds, findMarkers, stripMarkers } from './citation-markers.js';

const known = new Set(['README.md#2', 'docs/a b.md#0', 'b#1']);

describe('citation markers', () => {
  it('finds bracketed ids, known or id-like, and skips prose, links and checkboxes', () => {
    const text =
      'Run it [README.md#2]. See [docs/a b.md#0] and [b#1, zz#9]; [see below], [x], [1], [link](http://x) [nope#3].';
    expect(findMarkers(text, known).map((m) => [m.known, m.unknown])).toEqual([
      [['README.md#2'], []],
      [['docs/a b.md#0'], []],
      [['b#1'], ['zz#9']],
      [[], ['nope#3']],
    ]);
    expect(citedIds(text, known)).toEqual({
      known: ['README.md#2', 'docs/a b.md#0', 'b#1'],
      unknown: ['zz#9', 'nope#3'],
    });
  });

  it('strips markers with the space before them', () => {
    expect(stripMarkers('Run npm start [README.md#2]. Done [b#1][zz#9].', known)).toBe(
      'Run npm start. Done.',
    );
  });
});
