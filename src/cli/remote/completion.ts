/**
 * `stator completion bash|zsh`: shell completion of commands and flags, and of ids from the
 * running server (`stator ls --json`) for the commands that take one.
 * @module
 */
import { err, out } from '../cli-io.ts';
import { HELP } from '../help.ts';

/** The commands, in help order. */
export const CLI_COMMANDS = [
  'serve',
  'run',
  'validate',
  'schema',
  'machines',
  'ls',
  'logs',
  'attach',
  'start',
  'stop',
  'restart',
  'exec',
  'watch',
  'retry',
  'plan',
  'artifacts',
  'approve',
  'pause',
  'resume',
  'completion',
] as const;

const SESSION_IDS = `stator ls --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const j=JSON.parse(s);console.log(j.sessions.map(x=>x.id).join(" "))}catch{}})'`;
/** The kept artifact names of the run in the word before (one a line). */
const ARTIFACT_NAMES = (id: string) =>
  `stator artifacts "${id}" --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).filter(x=>!x.refused).map(x=>x.name).join("\\n"))}catch{}})'`;
const RUN_IDS = `stator ls --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const j=JSON.parse(s);console.log([...j.executions,...j.sessions].map(x=>x.id).join(" "))}catch{}})'`;

function bash(): string {
  return `# stator completion for bash: eval "$(stator completion bash)"
_stator() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${CLI_COMMANDS.join(' ')}" -- "$cur") ); return
  fi
  case "$cur" in -*)
    COMPREPLY=( $(compgen -W "--url --token --help --json --follow --input --watch --step --from --latest --reject --comment --by --output --force" -- "$cur") ); return;;
  esac
  if [ "$cmd" = artifacts ] && [ "$COMP_CWORD" -eq 3 ]; then
    local IFS=$'\\n'
    COMPREPLY=( $(compgen -W "$(${ARTIFACT_NAMES('${COMP_WORDS[2]}')})" -- "$cur") ); return
  fi
  case "$cmd" in
    attach|start|stop|restart) COMPREPLY=( $(compgen -W "$(${SESSION_IDS})" -- "$cur") );;
    logs|watch|retry|artifacts|approve|pause|resume) COMPREPLY=( $(compgen -W "$(${RUN_IDS})" -- "$cur") );;
    run|validate) COMPREPLY=( $(compgen -f -- "$cur") );;
    completion) COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") );;
  esac
}
complete -F _stator stator
`;
}

function zsh(): string {
  return `#compdef stator
# stator completion for zsh: eval "$(stator completion zsh)"
_stator() {
  local -a cmds
  cmds=(${CLI_COMMANDS.join(' ')})
  if (( CURRENT == 2 )); then _describe 'command' cmds; return; fi
  if [[ "$words[2]" == artifacts ]] && (( CURRENT == 4 )); then
    compadd -- \${(f)"$(${ARTIFACT_NAMES('$words[3]')})"}; return
  fi
  case "$words[2]" in
    attach|start|stop|restart) compadd -- \${(z)"$(${SESSION_IDS})"};;
    logs|watch|retry|artifacts|approve|pause|resume) compadd -- \${(z)"$(${RUN_IDS})"};;
    run|validate) _files;;
    completion) compadd bash zsh;;
  esac
}
compdef _stator stator
`;
}

/** Runs `stator completion bash|zsh`. */
export function completionCommand(args: string[]): number {
  const shell = args[0];
  if (shell === '--help' || shell === '-h') return (out(HELP.completion!), 0);
  if (shell === 'bash') return (process.stdout.write(bash()), 0);
  if (shell === 'zsh') return (process.stdout.write(zsh()), 0);
  return (err(HELP.completion!), 2);
}
