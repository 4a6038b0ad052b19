import { describe, expect, it } from 'vitest';
import { foldText, hash32, indexTerms, stemPlural, words } from './text-terms.js';

describe('text terms', () => {
  it('folds case and diacritics', () => {
    expect(foldText('Café RÉSUMÉ')).toBe('cafe resume');
    expect(words('Hello, wörld! 42 times')).toEqual(['hello', 'world', '42', 'times']);
  });

  it('drops stop words and folds plurals', () => {
    expect(indexTerms('The queries of the indexes are tokens in classes')).toEqual([
      'query',
      'index',
      'token',
      'class',
    ]);
  });

  it('leaves words that only look plural alone', () => {
    expect(stemPlural('status')).toBe('status');
    expect(stemPlural('class')).toBe('class');
    expect(stemPlural('redis')).toBe('redis');
    expect(stemPlural('gas')).toBe('gas');
  });

  it('hashes stably, to unsigned 32-bit values, differently per seed', () => {
    expect(hash32('token')).toBe(hash32('token'));
    expect(hash32('token')).not.toBe(hash32('tokens'));
    expect(hash32('token', 1)).not.toBe(hash32('token'));
    for (const s of ['', 'a', 'ünïcode', 'x'.repeat(1000)]) {
      const h = hash32(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });
});
