using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Maximus.Benchmarks;

/// <summary>
/// The host as an operator runs it, for benchmarks that start it as a child process: published (Release, ReadyToRun for
/// this machine's RID; framework-dependent IL when that cannot be restored) or taken from a given folder, started with
/// its apphost on a free loopback port, stopped by killing its process tree.
/// </summary>
public static class PublishedHost
{
    public sealed record PublishInfo(string Mode, string? RuntimeIdentifier, bool SelfContained, string HostPath, double PublishMs, string? Note);

    public static ProcessStartInfo StartInfo(string hostPath, IEnumerable<string> arguments)
    {
        var appHost = Path.Combine(hostPath, OperatingSystem.IsWindows() ? "Maximus.Host.exe" : "Maximus.Host");
        var start = File.Exists(appHost)
            ? new ProcessStartInfo(appHost)
            : new ProcessStartInfo(DotnetPath()) { ArgumentList = { Path.Combine(hostPath, "Maximus.Host.dll") } };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.WorkingDirectory = hostPath;
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        return start;
    }

    public static async Task StopAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or never started.
        }
    }

    /// <summary>
    /// Publishes the host (Release) into a folder under the temp directory, with its own artifacts folder so the
    /// repository's obj/ folders are left alone, as the image does: self-contained with one composite ReadyToRun image of
    /// the host and the .NET libraries for this machine's RID. When that cannot be restored, framework-dependent
    /// ReadyToRun; when that cannot either, IL. The mode says which.
    /// </summary>
    public static async Task<PublishInfo> PublishAsync(TextWriter progress, CancellationToken cancellationToken)
    {
        var project = Path.Combine(RepositoryRoot(), "services", "Maximus.Host", "Maximus.Host.csproj");
        var work = Path.Combine(Path.GetTempPath(), "maximus-published-host");
        var rid = RuntimeIdentifier();
        var clock = Stopwatch.StartNew();

        // Best first; each later one only when the one before cannot be published here (its packs not restorable).
        (string Mode, string? Rid, bool SelfContained, string[] Arguments, string? Note)[] attempts =
        [
            ("ReadyToRun composite", rid, true, ["--self-contained", "true", "-p:PublishReadyToRun=true", "-p:PublishReadyToRunComposite=true"], null),
            ("ReadyToRun", rid, false, ["--self-contained", "false", "-p:PublishReadyToRun=true"], "The self-contained composite publish could not be made here."),
            ("framework-dependent", null, false, [], "ReadyToRun could not be published here."),
        ];
        var code = 0;
        foreach (var (mode, target, selfContained, arguments, note) in attempts)
        {
            var folder = target is null ? "framework-dependent" : $"{(selfContained ? "composite" : "r2r")}-{target}";
            var output = Path.Combine(work, folder);
            progress.WriteLine($"host: publishing {project} (Release, {mode}{(selfContained ? ", self-contained: the first publish takes minutes" : "")})");
            string[] runtime = target is null ? [] : ["-r", target];
            code = await DotnetAsync(
                ["publish", project, "-c", "Release", .. runtime, .. arguments, "--artifacts-path", Path.Combine(work, "artifacts-" + folder), "-o", output, "--nologo"],
                progress, cancellationToken).ConfigureAwait(false);
            if (code == 0)
            {
                return new PublishInfo(mode, target, selfContained, output, Math.Round(clock.Elapsed.TotalMilliseconds, 1), note);
            }

            progress.WriteLine($"host: the {mode} publish failed with exit code {code}");
        }

        throw new InvalidOperationException($"dotnet publish {project} failed with exit code {code}.");
    }

    public static PublishInfo Locate(string hostDir)
    {
        var path = Path.GetFullPath(hostDir);
        if (!File.Exists(Path.Combine(path, "Maximus.Host.dll")))
        {
            throw new ArgumentException($"--host-dir {path} holds no Maximus.Host.dll.");
        }

        // A ReadyToRun image carries a managed native header; IL-only assemblies do not. A composite publish puts the
        // native code of every assembly into one image beside them (Maximus.Host.r2r.dll).
        using var stream = File.OpenRead(Path.Combine(path, "Maximus.Composition.dll"));
        using var reader = new System.Reflection.PortableExecutable.PEReader(stream);
        var r2r = reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
        var mode = File.Exists(Path.Combine(path, "Maximus.Host.r2r.dll")) ? "ReadyToRun composite" : r2r ? "ReadyToRun" : "framework-dependent";
        return new PublishInfo(mode, null, SelfContained: File.Exists(Path.Combine(path, "libcoreclr.so")), path, 0, "given with --host-dir");
    }

    private static async Task<int> DotnetAsync(IEnumerable<string> arguments, TextWriter progress, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(DotnetPath())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };

        // Build output goes to standard error: standard output carries only the result.
        process.OutputDataReceived += (_, e) => Forward(progress, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(progress, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode;
    }

    private static void Forward(TextWriter progress, string? line)
    {
        if (line is not null)
        {
            lock (progress)
            {
                progress.WriteLine("  | " + line);
            }
        }
    }

    private static string DotnetPath() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string RuntimeIdentifier()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        return $"{os}-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maximus.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No folder with Maximus.sln above {AppContext.BaseDirectory}: pass --host-dir.");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A temp folder; the OS cleans it up.
        }
    }
}
