/**
 * Shell completion scripts, generated from the flag table so they never drift from the parser.
 */
import { COMMANDS, FLAGS, type FlagSpec, type Shell, SHELLS } from "./flags.ts";

const commandNames = Object.keys(COMMANDS);
const takesValue = (flag: FlagSpec) => flag.kind === "string" || flag.kind === "int";

/** What a flag's value completes to: nothing (no value), a file, a directory, or anything. */
function valueKind(flag: FlagSpec): "none" | "file" | "dir" | "any" {
  return takesValue(flag) ? flag.complete ?? "any" : "none";
}
const spellings = (flag: FlagSpec) => [`--${flag.name}`, ...(flag.short ? [`-${flag.short}`] : [])];

function bash(): string {
  const valueCase = (kind: "file" | "dir" | undefined, action: string) => {
    const names = FLAGS.filter((f) => takesValue(f) && f.complete === kind).flatMap(spellings);
    return names.length === 0 ? "" : `    ${names.join("|")}) ${action}; return ;;`;
  };
  return `# bash completion for awmg
_awmg() {
  local cur prev
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${valueCase("file", 'COMPREPLY=($(compgen -f -- "$cur"))')}
${valueCase("dir", 'COMPREPLY=($(compgen -d -- "$cur"))')}
${valueCase(undefined, "COMPREPLY=()")}
  esac
  case "\${COMP_WORDS[1]}" in
    completion) COMPREPLY=($(compgen -W "${SHELLS.join(" ")}" -- "$cur")); return ;;
    help) COMPREPLY=($(compgen -W "${commandNames.join(" ")}" -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "${FLAGS.flatMap(spellings).join(" ")}" -- "$cur"))
  elif [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${commandNames.join(" ")}" -- "$cur"))
  fi
}
complete -F _awmg awmg
`;
}

function zshQuote(text: string): string {
  return text.replaceAll("'", "'\\''").replaceAll("[", "\\[").replaceAll("]", "\\]").replaceAll(":", "\\:");
}

function zsh(): string {
  const specs = FLAGS.map((flag) => {
    const description = `[${zshQuote(flag.description)}]`;
    const value = { none: "", file: ":file:_files", dir: ":directory:_files -/", any: `:${flag.name}: ` }[
      valueKind(flag)
    ];
    if (flag.short === undefined) return `    '--${flag.name}${description}${value}'`;
    const repeat = flag.kind === "count" ? "*" : `(-${flag.short} --${flag.name})`;
    return `    '${repeat}'{-${flag.short},--${flag.name}}'${description}${value}'`;
  });
  const commands = Object.entries(COMMANDS).map(([name, text]) => `'${name}:${zshQuote(text)}'`).join(" ");
  return `#compdef awmg
_awmg() {
  local -a commands
  commands=(${commands})
  local state
  _arguments -s \\
${specs.join(" \\\n")} \\
    '1: :->command' \\
    '*:: :->argument'
  case $state in
    command) _describe 'command' commands ;;
    argument)
      case $words[1] in
        completion) _values 'shell' ${SHELLS.join(" ")} ;;
        help) _describe 'command' commands ;;
      esac ;;
  esac
}
if [ "$funcstack[1]" = "_awmg" ]; then
  _awmg "$@"
else
  compdef _awmg awmg
fi
`;
}

function fishQuote(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function fish(): string {
  const lines = ["# fish completion for awmg", "complete -c awmg -f"];
  for (const [name, text] of Object.entries(COMMANDS)) {
    lines.push(`complete -c awmg -n __fish_use_subcommand -a ${name} -d ${fishQuote(text)}`);
  }
  lines.push(`complete -c awmg -n '__fish_seen_subcommand_from completion' -a '${SHELLS.join(" ")}'`);
  lines.push(`complete -c awmg -n '__fish_seen_subcommand_from help' -a '${commandNames.join(" ")}'`);
  for (const flag of FLAGS) {
    const short = flag.short === undefined ? "" : ` -s ${flag.short}`;
    const value = { none: "", file: " -r -F", dir: " -r -a '(__fish_complete_directories)'", any: " -r" }[
      valueKind(flag)
    ];
    lines.push(`complete -c awmg${short} -l ${flag.name}${value} -d ${fishQuote(flag.description)}`);
  }
  return lines.join("\n") + "\n";
}

function powershell(): string {
  const psQuote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const flags = FLAGS.flatMap((flag) =>
    spellings(flag).map((spelling) => `    @(${psQuote(spelling)}, ${psQuote(flag.description)})`)
  );
  const commands = Object.entries(COMMANDS).map(([name, text]) =>
    `    @(${psQuote(name)}, ${psQuote(text)})`
  );
  return `# powershell completion for awmg
Register-ArgumentCompleter -Native -CommandName 'awmg' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })
  $candidates = @()
  if ($words.Count -ge 2 -and $words[1] -eq 'completion') {
    $candidates = @(${SHELLS.map(psQuote).join(", ")}) | ForEach-Object { @($_, $_) }
  } elseif ($wordToComplete -like '-*') {
    $candidates = @(
${flags.join(",\n")}
    )
  } else {
    $candidates = @(
${commands.join(",\n")}
    )
  }
  $candidates | Where-Object { $_[0] -like "$wordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_[0], $_[0], 'ParameterValue', $_[1])
  }
}
`;
}

/** The completion script for a shell. */
export function completionScript(shell: Shell): string {
  return { bash, zsh, fish, powershell }[shell]();
}
