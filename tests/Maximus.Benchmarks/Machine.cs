using System.Globalization;

namespace Maximus.Benchmarks;

/// <summary>What the benchmarks report about the machine and processes they measure (Linux /proc; null or 0 elsewhere).</summary>
internal static class Machine
{
    /// <summary>The 1, 5 and 15 minute load averages, or null.</summary>
    public static string? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A size line of <c>/proc/&lt;process&gt;/status</c> in bytes (e.g. <c>VmHWM</c>, the peak resident set), or 0.</summary>
    public static long StatusBytes(string process, string key)
    {
        var status = $"/proc/{process}/status";
        try
        {
            var line = File.Exists(status) ? File.ReadLines(status).FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal)) : null;
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
