using System.Diagnostics;

namespace Maximus.Benchmarks;

/// <summary>The host as a child process on a free loopback port, killed (with its tree) on dispose.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Uri _base;

    private HostProcess(Process process, int port)
    {
        _process = process;
        _base = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri Url(string path) => new(_base, path);

    /// <summary>The process id (to sample /proc).</summary>
    public int Id => _process.Id;

    /// <summary>
    /// Starts the host and waits until <c>health/ready</c> answers. <paramref name="workingDirectory"/>: where it starts
    /// (its own folder when null); <paramref name="port"/>: a free one when null.
    /// </summary>
    public static async Task<HostProcess> StartAsync(
        string hostPath, string role, string dataDir, HttpClient http, IReadOnlyDictionary<string, string> environment, TextWriter progress, CancellationToken ct,
        string? workingDirectory = null, int? port = null)
    {
        var listen = port ?? PublishedHost.FreePort();
        var start = PublishedHost.StartInfo(hostPath, ["--role", role, "--runtime", "embedded", "--urls", $"http://127.0.0.1:{listen}", "--data-dir", dataDir]);
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var tail = new Queue<string>();
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 40)
                {
                    tail.Dequeue();
                }
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new HostProcess(process, listen);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {process.ExitCode}:\n{string.Join('\n', tail)}");
            }

            try
            {
                using var ready = await http.GetAsync(host.Url("health/ready"), ct).ConfigureAwait(false);
                if (ready.IsSuccessStatusCode)
                {
                    progress.WriteLine($"host (--role {role}) ready on {host._base} after {clock.Elapsed.TotalSeconds:0.0} s");
                    return host;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }

        await host.DisposeAsync().ConfigureAwait(false);
        throw new TimeoutException($"The host did not become ready in 3 minutes:\n{string.Join('\n', tail)}");
    }

    /// <summary>The process's peak resident set (VmHWM), 0 where /proc is not available.</summary>
    public long PeakRssBytes() => Machine.StatusBytes(_process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "VmHWM");

    /// <summary>SIGKILL, as <c>kill -9</c>: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        await PublishedHost.StopAsync(_process).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await PublishedHost.StopAsync(_process).ConfigureAwait(false);
        _process.Dispose();
    }
}
