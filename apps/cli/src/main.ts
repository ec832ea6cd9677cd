import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ApiClient, connectionFrom } from './client';
import * as commands from './commands';
import { Context, EXIT } from './commands';
import { OUTPUT_FORMATS } from './output';

/** The checkout this CLI was built in: where `npm start` leaves the admin token. */
const CHECKOUT = join(__dirname, '..', '..', '..', '..');

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const outputOption = () =>
  new Option('-o, --output <format>', 'table, wide or json (json when not on a terminal)').choices(OUTPUT_FORMATS);

/** The `berth` command line. Each action returns its exit code; errors print the server's problem detail. */
export function program(context: () => Context, exit: (code: number) => void): Command {
  const cli = new Command('berth')
    .description('Berth: run containers on a fleet of Docker hosts, and look after the fleet')
    .showHelpAfterError()
    .exitOverride();
  const act =
    <A extends unknown[]>(action: (ctx: Context, ...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      exit(await action(context(), ...args));
    };

  cli
    .command('run')
    .description('run a container (or --replicas N), following it until it runs')
    .argument('<image>')
    .argument('[cmd...]', 'the command, after --')
    .option('--name <name>')
    .option('--cpu <cpu>', 'millicores (250, 250m) or cores (0.5)')
    .option('--memory <size>', 'e.g. 64Mi, 1Gi')
    .option('-e, --env <K=V>', 'an environment variable (repeatable)', collect, [])
    .option('-l, --label <k=v>', 'a container label (repeatable)', collect, [])
    .option('--constraint <expr>', 'e.g. zone==a (repeatable)', collect, [])
    .option('--affinity <expr>', 'e.g. image==redis* (repeatable)', collect, [])
    .option('--strategy <strategy>', 'spread, binpack or random')
    .option('--reschedule <policy>', 'no or on-node-failure')
    .option('--placement-timeout <seconds>', 'how long a job may wait for room')
    .option('--replicas <n>', 'how many copies, as one group (names get -1, -2, ...)', '1')
    .option('--all-or-nothing', 'with --replicas: place every copy at once, or none')
    .option('-d, --detach', 'print the job ids and return at once')
    .option('--dry-run', 'show where it would go, and why not elsewhere; submit nothing')
    .addOption(outputOption())
    .action(
      act((ctx, image: string, cmd: string[], options: commands.RunOptions) => commands.run(ctx, image, cmd, options)),
    );
  cli
    .command('jobs')
    .description('list jobs')
    .option('--status <status>')
    .option('-A, --all-namespaces', 'every namespace (admin)')
    .addOption(outputOption())
    .action(
      act((ctx, options: { status?: string; allNamespaces?: boolean; output?: string }) => commands.jobs(ctx, options)),
    );
  cli
    .command('inspect')
    .description('a job, with its timeline')
    .argument('<job>')
    .addOption(outputOption())
    .action(act((ctx, id: string, options: { output?: string }) => commands.inspect(ctx, id, options)));
  cli
    .command('logs')
    .description("a job's container output")
    .argument('<job>')
    .option('--tail <n>', 'lines from the end', '200')
    .option('-f, --follow', 'then what it writes, until it stops')
    .action(act((ctx, id: string, options: { tail?: string; follow?: boolean }) => commands.logs(ctx, id, options)));
  cli
    .command('rm')
    .description('remove jobs (their containers are stopped and removed)')
    .argument('<job...>')
    .action(act((ctx, ids: string[]) => commands.rm(ctx, ids)));
  cli
    .command('nodes')
    .description('list hosts')
    .addOption(outputOption())
    .action(act((ctx, options: { output?: string }) => commands.nodes(ctx, options)));
  for (const action of ['cordon', 'uncordon'] as const) {
    cli
      .command(action)
      .description(action === 'cordon' ? 'stop placing jobs on a host' : 'place jobs on a host again')
      .argument('<node>')
      .action(act((ctx, id: string) => commands.nodeAction(ctx, action, id)));
  }
  cli
    .command('drain')
    .description('move the movable jobs off a host, showing progress until it is drained')
    .argument('<node>')
    .option('-d, --detach', 'start the drain and return')
    .action(act((ctx, id: string, options: { detach?: boolean }) => commands.drain(ctx, id, options)));
  cli
    .command('queues')
    .description("Berth's queues: messages waiting and consumers")
    .addOption(outputOption())
    .action(act((ctx, options: { output?: string }) => commands.queues(ctx, options)));
  cli
    .command('dead-letters')
    .description('list dead letters, or retry or drop one')
    .argument('[action]', 'retry or drop')
    .argument('[id]')
    .addOption(outputOption())
    .action(
      act((ctx, action: string | undefined, id: string | undefined, options: { output?: string }) =>
        commands.deadLetters(ctx, action, id, options),
      ),
    );
  cli
    .command('tokens')
    .description('API tokens (admin): list, create NAME, revoke ID')
    .argument('<action>', 'list, create or revoke')
    .argument('[name-or-id]')
    .option('--namespace <namespace>', 'for create', 'default')
    .option('--scopes <scopes>', 'for create: read,submit,operate,admin', 'read')
    .addOption(outputOption())
    .action(
      act(
        (
          ctx,
          action: string,
          arg: string | undefined,
          options: { namespace?: string; scopes?: string; output?: string },
        ) => commands.tokens(ctx, action, arg, options),
      ),
    );
  cli
    .command('events')
    .description('follow job and host changes as they happen')
    .addOption(new Option('--type <type>', 'job or node').choices(['job', 'node']))
    .option('--job <id>', "one job's events")
    .addOption(outputOption())
    .action(act((ctx, options: { type?: string; job?: string; output?: string }) => commands.events(ctx, options)));
  return cli;
}

/** Runs the CLI on this process's arguments and sets its exit code. */
export async function run(): Promise<void> {
  const term = {
    out: (text: string) => process.stdout.write(`${text}\n`),
    write: (bytes: Uint8Array) => process.stdout.write(bytes),
    err: (text: string) => process.stderr.write(text),
    isTerminal: process.stdout.isTTY === true,
  };
  let code: number = EXIT.ok;
  const cli = program(
    () => ({ api: new ApiClient(connectionFrom(process.env, CHECKOUT)), term }),
    (c) => (code = c),
  );
  try {
    await cli.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      code = err.exitCode === 0 ? EXIT.ok : EXIT.error;
    } else {
      process.stderr.write(`berth: ${(err as Error).message}\n`);
      code = EXIT.error;
    }
  }
  process.exitCode = code;
}

if (require.main === module) {
  void run();
}
