using System.CommandLine;
using Maximus.Cli;
using Maximus.Plugins.Mcp;

namespace Maximus.Cli.Commands;

/// <summary><c>maximus plugins add-mcp &lt;name&gt; -- &lt;command&gt; [args…]</c>: an MCP server as a plugin of the <c>mcp-bridge</c> app.</summary>
internal static class PluginsCommands
{
    public static Command Create(Option<string> dataDir)
    {
        var plugins = new Command("plugins", "Configure plugins.");
        plugins.Subcommands.Add(AddMcp(dataDir));
        return plugins;
    }

    private static Command AddMcp(Option<string> dataDir)
    {
        var name = new Argument<string>("name") { Description = "The server's name: the plugin context of its missions (maximus run --plugin <name>)." };
        var commandLine = new Argument<string[]>("command") { Description = "After '--': the program that serves MCP on stdio, and its arguments.", Arity = ArgumentArity.OneOrMore };
        var env = new Option<string[]>("--env") { Description = "KEY=VALUE environment variable of the server's process (repeatable).", AllowMultipleArgumentsPerToken = false };
        var command = new Command("add-mcp", "Add (or replace) a stdio MCP server in the user's configuration file (<data-dir>/maximus.json); its tools become the actions of plugin mcp-bridge, context <name>.")
        {
            name, commandLine, env,
        };
        command.SetAction(result =>
        {
            var server = result.GetValue(name)!;
            if (server.Length is 0 or > 64 || !server.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return CliOutput.Error($"'{server}' is not a server name: use 1 to 64 letters, digits, '.', '_' or '-'.");
            }

            var variables = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in result.GetValue(env) ?? [])
            {
                var split = pair.IndexOf('=', StringComparison.Ordinal);
                if (split <= 0)
                {
                    return CliOutput.Error($"--env '{pair}' must be KEY=VALUE.");
                }

                variables[pair[..split]] = pair[(split + 1)..];
            }

            var words = result.GetValue(commandLine)!;
            var file = McpUserConfig.PathIn(result.GetValue(dataDir)!);
            McpUserConfig.AddStdioServer(file, server, words[0], words[1..], variables);
            Console.Out.WriteLine($"MCP server '{server}' ({string.Join(' ', words)}) added to {file}: run missions with 'maximus run --plugin {server} --steps plan.json'.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
