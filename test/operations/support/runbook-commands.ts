/**
 * The commands of the runbooks' code blocks, as a shell would see them: every ```bash block of a
 * Markdown page, continuation lines joined, comments dropped, each line split into its simple
 * commands (`a && b | c; d`), each command into words (quotes respected), leading VAR=value
 * assignments set aside. Good enough for the runbooks' one-liners, which is all it is for.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface RunbookCommand {
  file: string;
  line: number;
  /** The whole line as written (continuations joined). */
  text: string;
  /** The command's words, quotes removed, assignments dropped. */
  words: string[];
}

/** Every Markdown file under `dir`, recursively. */
export function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return markdownFiles(full);
    return name.endsWith('.md') ? [full] : [];
  });
}

/** The lines of the page's shell code blocks (```bash, ```sh, ```shell), with their line numbers. */
export function shellLines(markdown: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let inShell = false;
  let inOther = false;
  let pending: { line: number; text: string } | undefined;
  markdown.split('\n').forEach((raw, i) => {
    const fence = raw.trim().match(/^```\s*([a-z]*)/);
    if (fence) {
      if (inShell || inOther) {
        inShell = inOther = false;
      } else if (['bash', 'sh', 'shell', 'console'].includes(fence[1])) {
        inShell = true;
      } else {
        inOther = true;
      }
      return;
    }
    if (!inShell) return;
    const text = raw.replace(/^\s*\$ /, '');
    const joined = pending ? `${pending.text} ${text.trim()}` : text.trim();
    const start = pending?.line ?? i + 1;
    if (/\\$/.test(joined)) {
      pending = { line: start, text: joined.replace(/\\$/, '').trim() };
      return;
    }
    pending = undefined;
    const code = stripComment(joined).trim();
    if (code) out.push({ line: start, text: code });
  });
  return out;
}

/** The line without its `# comment` (a # that starts a word, outside quotes). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/**
 * Splits a line into simple commands and each into words. Command substitutions `$(...)` are
 * kept inside their word (and also returned as commands of their own, so `X=$(vigil ...)` is checked).
 */
export function simpleCommands(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'" || c === '"') {
      const close = line.indexOf(c, i + 1);
      const body = close < 0 ? line.slice(i + 1) : line.slice(i + 1, close);
      if (c === '"') for (const inner of substitutions(body)) commands.push(...simpleCommands(inner));
      word += body;
      inWord = true;
      i = close < 0 ? line.length : close;
    } else if (c === '$' && line[i + 1] === '(') {
      const end = matchingParen(line, i + 1);
      const inner = line.slice(i + 2, end);
      commands.push(...simpleCommands(inner));
      word += line.slice(i, end + 1);
      inWord = true;
      i = end;
    } else if (/\s/.test(c)) {
      endWord();
    } else if (c === ';' || c === '|' || c === '&') {
      endCommand();
      if (line[i + 1] === c) i++;
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands.map(withoutAssignments).filter((w) => w.length > 0);
}

function substitutions(text: string): string[] {
  const out: string[] = [];
  for (let i = text.indexOf('$('); i >= 0; i = text.indexOf('$(', i + 1)) {
    out.push(text.slice(i + 2, matchingParen(text, i + 1)));
  }
  return out;
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return text.length;
}

function withoutAssignments(words: string[]): string[] {
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i])) i++;
  return words.slice(i);
}

/** Every command of every runbook page under `dir`. */
export function runbookCommands(dir: string): RunbookCommand[] {
  return markdownFiles(dir).flatMap((file) =>
    shellLines(readFileSync(file, 'utf8')).flatMap(({ line, text }) =>
      simpleCommands(text).map((words) => ({ file, line, text, words })),
    ),
  );
}
