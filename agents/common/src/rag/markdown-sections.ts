/** A unit the chunker never splits unless it alone exceeds the chunk size. */
export interface Block {
  text: string;
  /** `code` is a fenced code block (fences included). */
  kind: 'text' | 'code';
}

/** A run of blocks under one heading path. */
export interface Section {
  /** Heading path, e.g. `Setup > Install`; absent before the first heading. */
  heading?: string;
  blocks: Block[];
}

interface Fence {
  char: '`' | '~';
  length: number;
}

interface Heading {
  level: number;
  title: string;
}

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_H1 = /^ {0,3}=+[ \t]*$/;
const SETEXT_H2 = /^ {0,3}-{2,}[ \t]*$/;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
// Lines that start a block other than a paragraph cannot be the text of a setext heading.
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const NOT_PARAGRAPH = /^ {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>|\||#)/;

/** Parses Markdown into sections split at ATX and setext headings (ignoring `#` lines inside code fences). */
export function markdownSections(text: string): Section[] {
  const lines = text.split('\n');
  const sections: { heading?: string; lines: string[] }[] = [{ lines: [] }];
  const stack: Heading[] = [];
  let fence: Fence | undefined;
  // Where the open paragraph begins in the current section's lines; -1 none, -2 a non-paragraph block.
  let paragraphStart = -1;
  const current = (): { heading?: string; lines: string[] } => sections[sections.length - 1] ?? { lines: [] };

  const openSection = (heading: Heading, headingLines: string[]): void => {
    while (stack.length > 0 && (stack[stack.length - 1]?.level ?? 0) >= heading.level) stack.pop();
    stack.push(heading);
    sections.push({ heading: stack.map((h) => h.title).join(' > '), lines: [...headingLines] });
    paragraphStart = -1;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (i === 0 && line.trim() === '---') {
      // YAML front matter: kept as text, never read as a setext underline.
      const end = lines.findIndex((l, j) => j > 0 && (l.trim() === '---' || l.trim() === '...'));
      if (end > 0) {
        current().lines.push(...lines.slice(0, end + 1));
        i = end;
        continue;
      }
    }
    if (fence) {
      current().lines.push(line);
      if (closesFence(line, fence)) fence = undefined;
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    if (open?.[1] && !(open[1].startsWith('`') && (open[2] ?? '').includes('`'))) {
      fence = { char: open[1].startsWith('`') ? '`' : '~', length: open[1].length };
      current().lines.push(line);
      paragraphStart = -1;
      continue;
    }
    const atx = ATX.exec(line);
    if (atx?.[1]) {
      openSection({ level: atx[1].length, title: cleanTitle(atx[2] ?? '') }, [line]);
      continue;
    }
    if ((SETEXT_H1.test(line) || SETEXT_H2.test(line)) && paragraphStart >= 0) {
      const sec = current();
      const titleLines = sec.lines.splice(paragraphStart);
      openSection({ level: SETEXT_H1.test(line) ? 1 : 2, title: cleanTitle(titleLines.join(' ')) }, [
        ...titleLines,
        line,
      ]);
      continue;
    }
    const sec = current();
    if (line.trim() === '' || THEMATIC_BREAK.test(line)) paragraphStart = -1;
    else if (paragraphStart === -1) paragraphStart = NOT_PARAGRAPH.test(line) ? -2 : sec.lines.length;
    sec.lines.push(line);
  }

  return sections
    .map((s) => {
      const section: Section = { blocks: linesToBlocks(s.lines, s.heading !== undefined) };
      if (s.heading !== undefined && s.heading !== '') section.heading = s.heading;
      return section;
    })
    .filter((s) => s.blocks.length > 0);
}

/** Splits plain text into paragraph blocks. */
export function plainSections(text: string): Section[] {
  const blocks = text
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p): Block => ({ text: p, kind: 'text' }));
  return blocks.length === 0 ? [] : [{ blocks }];
}

/** Groups lines into paragraphs (split at blank lines) and whole fenced code blocks. */
function linesToBlocks(lines: string[], underHeading: boolean): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = (): void => {
    const text = paragraph.join('\n').trim();
    if (text !== '') blocks.push({ text, kind: 'text' });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const open = FENCE_OPEN.exec(line);
    if (open?.[1] && !(open[1].startsWith('`') && (open[2] ?? '').includes('`'))) {
      flush();
      const fence: Fence = { char: open[1].startsWith('`') ? '`' : '~', length: open[1].length };
      const code = [line];
      while (++i < lines.length) {
        const next = lines[i] ?? '';
        code.push(next);
        if (closesFence(next, fence)) break;
      }
      blocks.push({ text: code.join('\n').trimEnd(), kind: 'code' });
      continue;
    }
    if (line.trim() === '') flush();
    else paragraph.push(line);
  }
  flush();
  // A section holding only its heading line carries no content of its own.
  if (underHeading && blocks.length === 1 && blocks[0]?.kind === 'text' && isHeadingOnly(blocks[0].text))
    return [];
  return blocks;
}

function isHeadingOnly(text: string): boolean {
  const lines = text.split('\n');
  if (lines.length === 1) return ATX.test(lines[0] ?? '');
  const last = lines[lines.length - 1] ?? '';
  return SETEXT_H1.test(last) || SETEXT_H2.test(last);
}

function closesFence(line: string, fence: Fence): boolean {
  const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  return m?.[1] !== undefined && m[1][0] === fence.char && m[1].length >= fence.length;
}

/** Heading text without inline Markdown: links keep their text, code and emphasis marks go. */
function cleanTitle(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .replace(/(^|\s)_+|_+(\s|$)/g, '$1$2')
    .replace(/\s+/g, ' ')
    .trim();
}
