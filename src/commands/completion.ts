// waymark completion bash|zsh: a completion script for the shell, made from the command table
// (so it never lists a command or flag that is not there). zsh loads bash's through bashcompinit.
import type { CommandSpec, ParsedArgs } from './args.js';
import { COMMON } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { out } from './common.js';

const flagsOf = (spec: CommandSpec) => [...spec.flags, ...COMMON].map((f) => f.split(' ')[0]);

export async function completionCommand(a: ParsedArgs, commands: Record<string, CommandSpec>): Promise<number> {
  const shell = a.positional[0];
  if (shell !== 'bash' && shell !== 'zsh')
    throw new UsageError('name the shell: waymark completion bash (or zsh); add its output to your shell start-up');
  const { templateNames } = await import('./init.js');
  const cases = Object.entries(commands)
    .map(([name, spec]) => `    ${name}) flags="${[...new Set(flagsOf(spec))].join(' ')}" ;;`)
    .join('\n');
  const script = `# waymark ${shell} completion: eval "$(waymark completion ${shell})" in your ~/.${shell}rc
${shell === 'zsh' ? 'autoload -U +X bashcompinit && bashcompinit\n' : ''}_waymark() {
  local cur prev cmd flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  case "$prev" in
    --runbook|--out|--key|--allowed-signers|--witness) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    --state-dir) COMPREPLY=( $(compgen -d -- "$cur") ); return ;;
    --template) COMPREPLY=( $(compgen -W "${templateNames().join(' ')}" -- "$cur") ); return ;;
    --env) COMPREPLY=( $(compgen -W "staging production" -- "$cur") ); return ;;
  esac
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${Object.keys(commands).join(' ')} --help --version" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    *) flags="${COMMON.map((f) => f.split(' ')[0]).join(' ')}" ;;
  esac
  case "$cur" in
    -*) COMPREPLY=( $(compgen -W "$flags" -- "$cur") ) ;;
    *) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
  esac
}
complete -F _waymark waymark
`;
  out(script.trimEnd());
  return 0;
}
