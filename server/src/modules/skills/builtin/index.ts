// The built-in compute skills, one file each; the other files here are the local engine they share.
import type { SkillDef } from '#core/skill.js';
import { datesExtract } from './dates-extract.js';

export const BUILTIN_SKILLS: readonly SkillDef[] = [datesExtract] as readonly SkillDef[];
