// `waymark import`: a runbook written only for people (Markdown: headings, prose, shell and SQL
// blocks, numbered steps) made into a Waymark runbook. Headings become phases ("Phase N" sections
// keep their parts, numbered sub-sections are steps), a Rollback section rollback procedures, a
// Troubleshooting section (and an appendix of reference commands) troubleshooting entries; what
// holds no step is kept in the description and listed with its line (import-steps.ts reads the blocks).
import { fromMarkdown } from 'mdast-util-from-markdown';
import { Importer, sections, slug, type ImportNote, type Obj, type Section } from './import-steps.js';

export interface Imported {
  /** the runbook as its YAML would hold it (runbookToMarkdown writes it as Markdown) */
  raw: Obj;
  notes: ImportNote[];
  /** shell and SQL blocks of the source, and how many became steps or checks */
  blocks: { total: number; mapped: number };
}

const ROLLBACK = /rollback|roll back|back out/i;
const TROUBLE = /troubleshoot|common (problems|issues)|faq/i;
const REFERENCE = /^(appendix\b|[A-Z]\.\s|(quick )?reference\b|cheat ?sheet|.*\bsnippets\b|key metrics)/i;
const TRANSPARENT = /^(steps|procedure|instructions)\s*:?$/i;
const NUMBERED = /^\d+[.)]\s+/;
const PHASE = /^(phase|stage)\s*\d+/i;
const WHEN = /\s*\(([^()]*\b(day|hour|week|minute)s?\b[^()]*)\)\s*$/i;

/** Sections into phases, procedures and entries, as they are met. */
class Shaper {
  readonly phases: Obj[] = [];
  readonly rollback: Obj[] = [];
  readonly troubleshooting: Obj[] = [];
  readonly description: string[] = [];

  constructor(
    private text: string,
    private im: Importer,
  ) {}

  prose(s: Section): string[] {
    return s.blocks.map((b) => this.text.slice(b.position!.start.offset, b.position!.end.offset));
  }

  /** The steps a section holds itself: its blocks, its numbered and its "Steps" sub-sections. */
  own(s: Section, ctx: { title: string; objective?: string[] }): Obj[] {
    const out: Obj[] = [];
    this.im.steps(s.blocks, out, ctx);
    for (const c of s.children) {
      // a "Phase N" section's sub-sections are parts of it ("Day 2-3: Active Monitoring"), not phases
      if (TRANSPARENT.test(c.title) || (PHASE.test(s.title) && !NUMBERED.test(c.title))) out.push(...this.own(c, ctx));
      else if (NUMBERED.test(c.title)) {
        const inner = this.own(c, { title: c.title });
        const t = c.title.replace(NUMBERED, '');
        if (inner.length === 1) Object.assign(inner[0], { id: this.im.uniqueId(t), title: t });
        if (!inner.length) inner.push({ id: this.im.uniqueId(t), kind: 'manual', title: t, instructions: t });
        out.push(...inner);
      }
    }
    return out;
  }

  visit(s: Section): void {
    if (ROLLBACK.test(s.title) && s.depth > 0) return this.rollbackOf(s);
    const reference = REFERENCE.test(s.title) && s.depth > 0;
    if ((TROUBLE.test(s.title) || reference) && s.depth > 0) return this.troubleOf(s, reference);
    const objective: string[] = [];
    const steps = s.depth > 0 ? this.own(s, { title: s.title, objective }) : [];
    if (steps.length) this.phaseOf(s, steps, objective);
    else if (s.depth > 0 && s.blocks.length) {
      this.description.push(`${s.title}:\n\n${this.prose(s).join('\n\n')}`);
      this.im.note(s.line, `"${s.title}" holds no step: kept in the description`);
    } else if (s.depth === 0) this.description.push(...this.prose(s));
    for (const c of s.children)
      if (!NUMBERED.test(c.title) && !TRANSPARENT.test(c.title) && !(steps.length && PHASE.test(s.title)))
        this.visit(c);
  }

  private phaseOf(s: Section, steps: Obj[], objective: string[]): void {
    const when = WHEN.exec(s.title);
    const t = when ? s.title.slice(0, when.index) : s.title;
    steps.push({ id: this.im.uniqueId(`signoff-${t}`), kind: 'signoff', title: `Sign off ${t}` });
    this.phases.push({
      id: this.im.uniqueId(t),
      title: t,
      ...(when ? { when: when[1] } : {}),
      ...(objective.length ? { objective: objective.join('\n\n') } : {}),
      steps,
    });
  }

  private rollbackOf(s: Section): void {
    const procs = s.children.length ? s.children : [s];
    if (s.children.length) this.description.push(...this.prose(s));
    for (const p of procs) {
      const steps = this.own(p, { title: p.title });
      for (const c of p.children.filter((c) => !NUMBERED.test(c.title) && !TRANSPARENT.test(c.title)))
        steps.push(...this.own(c, { title: c.title }));
      if (!steps.length)
        steps.push({ id: 'read', kind: 'manual', title: p.title, instructions: this.prose(p).join('\n\n') || p.title });
      const title = p.title.replace(/^rollback:?\s*/i, '') || p.title;
      this.rollback.push({ id: this.im.uniqueId(p.title), title, steps });
    }
  }

  /** Troubleshooting entries; reference commands (an appendix, a cheat sheet) are run when needed as theirs are. */
  private troubleOf(s: Section, reference: boolean): void {
    if (reference)
      this.im.note(s.line, `"${s.title}" is reference: its commands are a troubleshooting entry, run when needed`);
    for (const e of s.children.length && !reference ? s.children : [s]) {
      const diagnostics: Obj[] = [];
      // what is said before its first block describes the problem; the blocks are its diagnostics
      const first = e.blocks.findIndex((b) => b.type === 'code' || (b.type === 'list' && b.ordered));
      const said = (first < 0 ? e.blocks : e.blocks.slice(0, first)).filter((b) => b.type !== 'thematicBreak');
      this.im.steps(first < 0 ? [] : e.blocks.slice(first), diagnostics, { title: e.title });
      if (reference) for (const c of e.children) this.im.steps([...c.blocks], diagnostics, { title: c.title });
      const symptom = reference
        ? `Reference: ${e.title.replace(/^[A-Z]\.\s+/, '')}`
        : e.title.replace(/^(issue|problem|symptom)\s*:\s*/i, '').replace(/^["“]|["”]$/g, '');
      const text = [
        ...said.map((b) => this.text.slice(b.position!.start.offset, b.position!.end.offset)),
        ...diagnostics.filter((d) => d.kind === 'manual').map((d) => String(d.instructions)),
      ];
      this.troubleshooting.push({
        id: this.im.uniqueId(symptom),
        symptom,
        ...(text.length ? { description: text.join('\n\n') } : {}),
        diagnostics: diagnostics.filter((d) => d.kind !== 'manual' && d.kind !== 'edit-env'),
      });
      for (const d of diagnostics.filter((x) => x.kind === 'edit-env'))
        this.im.note(e.line, `"${String(d.title)}" in a troubleshooting entry sets values: kept as its description`);
    }
  }
}

/** The runbook a person's Markdown describes, with what needs a person's attention. */
export function importMarkdown(text: string, name: string): Imported {
  const im = new Importer(text);
  const root = sections(fromMarkdown(text).children);
  const shaper = new Shaper(text, im);
  const single = root.children.length === 1 && root.children[0].depth === 1;
  const title = single ? root.children[0].title : name;
  const top = single ? root.children[0] : root;
  if (top !== root) shaper.description.push(...shaper.prose(top));
  for (const c of top.children) shaper.visit(c);
  const { phases, rollback, troubleshooting, description } = shaper;
  if (!phases.length) {
    phases.push({
      id: 'read',
      title,
      steps: [{ id: 'read', kind: 'manual', title: 'Read the runbook', instructions: text.trim() || title }],
    });
    im.note(1, 'no step was found: the whole text is one manual step');
  }
  const vars = {
    ...(im.usesEnvFile ? { ENV_FILE: { default: '.env', description: "The app's env file the steps edit" } } : {}),
    ...(im.usesDatabase ? { DATABASE_URL: { secret: true, description: 'The database the SQL runs against' } } : {}),
  };
  const raw: Obj = {
    id: slug(title),
    title,
    version: '1',
    ...(description.length ? { description: description.join('\n\n') } : {}),
    ...(Object.keys(im.inputs).length ? { inputs: im.inputs } : {}),
    ...(Object.keys(vars).length ? { vars } : {}),
    ...(im.usesDatabase ? { connections: { main: { url: '${DATABASE_URL}' } } } : {}),
    ...(Object.keys(im.checks).length ? { checks: im.checks } : {}),
    phases,
    ...(rollback.length ? { rollback } : {}),
    ...(troubleshooting.length ? { troubleshooting } : {}),
  };
  return { raw, notes: im.notes.sort((a, b) => a.line - b.line), blocks: im.blocks };
}
