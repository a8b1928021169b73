using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace Maximus.Migration;

/// <summary>
/// Reads a source of batches one batch ahead on another thread, so that reading the next batch (SQLite, segment files,
/// HTTP) overlaps the work on the current one (checksums, the target's writes). The order is the source's; an error of
/// the source is thrown where the batch would have been; the reader stops when the consumer stops.
/// </summary>
internal static class ReadAhead
{
    public static async IAsyncEnumerable<T> Batches<T>(IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        ExceptionDispatchInfo? failure = null;
        var reader = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var batch in source.WithCancellation(stop.Token).ConfigureAwait(false))
                    {
                        await channel.Writer.WriteAsync(batch, stop.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && stop.IsCancellationRequested))
                {
                    failure = ExceptionDispatchInfo.Capture(ex);
                }
                catch (OperationCanceledException)
                {
                    // The consumer stopped (or was cancelled): nothing more to read.
                }
                finally
                {
                    channel.Writer.TryComplete();
                }
            },
            CancellationToken.None);
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var batch))
                {
                    yield return batch;
                }
            }

            failure?.Throw();
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
        }
    }
}
