using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Maximus.Cli.Tests;

/// <summary>Runs the real `maximus` executable as a separate process.</summary>
internal static class Cli
{
    public static string Path { get; } = System.IO.Path.GetFullPath(
        typeof(Cli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MaximusCliPath").Value!);

    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        /// <summary>The last line of standard output as JSON (what `--json` prints).</summary>
        public JsonElement Json()
        {
            var line = StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
                ?? throw new InvalidOperationException($"No output. stderr: {StdErr}");
            return JsonDocument.Parse(line).RootElement.Clone();
        }
    }

    public static async Task<Result> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null, int timeoutSeconds = 120)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"maximus {string.Join(' ', args)} did not end within {timeoutSeconds} s.");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A temporary folder with small PDDL files the tests write themselves.</summary>
internal sealed class Workspace : IDisposable
{
    /// <summary>Inverting a tower of four needs six or more steps.</summary>
    public const string InvertTower = """
        (define (problem invert)
          (:domain blocks)
          (:objects a b c d)
          (:init (handempty) (ontable a) (on b a) (on c b) (on d c) (clear d))
          (:goal (and (on a b) (on b c) (on c d))))
        """;

    public Workspace()
    {
        Root = Directory.CreateTempSubdirectory("maximus-cli-").FullName;
        DataDir = System.IO.Path.Combine(Root, "data");
    }

    public string Root { get; }

    public string DataDir { get; }

    public string Write(string name, string text)
    {
        var path = System.IO.Path.Combine(Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A killed process may still hold the SQLite file for a moment; the OS cleans temp folders.
        }
    }
}
