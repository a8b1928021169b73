using Maximus.Contracts.Memory;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maximus.Memory.Mirix;

/// <summary>Sweeps expired entries out of the vector store periodically (reads never return them anyway).</summary>
public sealed partial class MemoryPurgeService(AgentMemory memory, ILogger<MemoryPurgeService> logger) : BackgroundService
{
    public static TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var removed = await memory.PurgeExpiredAsync(stoppingToken).ConfigureAwait(false);
                if (removed > 0)
                {
                    LogPurged(logger, removed);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} expired memories")]
    private static partial void LogPurged(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The memory purge sweep failed; it runs again later")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
