using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using Maximus.Cli;
using Maximus.Composition;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Maximus.Cli.Commands;

/// <summary><c>maximus ui</c>: starts the host with every role on a loopback port and opens mission control (<c>/ui/</c>).</summary>
internal static class UiCommand
{
    public static Command Create(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var port = new Option<int>("--port") { Description = "The loopback port to serve on (0: any free one).", DefaultValueFactory = _ => 0 };
        var noBrowser = new Option<bool>("--no-browser") { Description = "Print the address only; do not open a browser." };
        var command = new Command(
            "ui",
            "Start the host (every role, embedded runtime, this data folder) on 127.0.0.1 and open mission control in the browser: " +
            "missions live, their plans, simulations and steps, approvals, memory. Ctrl+C stops it.")
        {
            port, noBrowser,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var ctx = CommandContext.From(result, dataDir, runtime, verbose);
            if (ctx.Runtime != RuntimeKind.Embedded)
            {
                return CliOutput.Error("maximus ui starts the embedded host; with Dapr, open /ui/ on the orchestrator's host.");
            }

            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Serilog:MinimumLevel:Default"] = ctx.Verbose ? "Information" : "Warning",
                ["Serilog:MinimumLevel:Override:Microsoft"] = "Warning",
                ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Warning",

                // The antiforgery keys of the forms live unencrypted in the user's profile, as ASP.NET keeps them on Linux: no news.
                ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore.DataProtection"] = "Error",
            });
            builder.WebHost.UseUrls($"http://127.0.0.1:{result.GetValue(port)}");
            var settings = MaximusHostSettings.All(ctx.DataDirectory);
            builder.AddServiceDefaults(settings.ServiceName);
            builder.AddMaximus(settings);
            await using var app = builder.Build();
            app.MapDefaultEndpoints();
            app.MapMaximus();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            var address = app.Urls.First().TrimEnd('/') + "/ui/";
            Console.Out.WriteLine($"Mission control: {address}  (data: {ctx.DataDirectory}; Ctrl+C stops it)");
            if (!result.GetValue(noBrowser))
            {
                Open(address);
            }

            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Opens the default browser (xdg-open, open, or the Windows shell); says so when there is none.</summary>
    private static void Open(string address)
    {
        try
        {
            using var browser = Process.Start(new ProcessStartInfo(address) { UseShellExecute = true });
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            Console.Out.WriteLine($"No browser could be opened ({ex.Message}): open {address} yourself.");
        }
    }
}
