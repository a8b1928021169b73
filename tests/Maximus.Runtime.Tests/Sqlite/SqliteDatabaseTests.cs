using System.Globalization;
using Maximus.Runtime.Embedded;
using Maximus.Sqlite;

namespace Maximus.Runtime.Tests.Sqlite;

/// <summary>The embedded runtime's database: the writes of one process take turns instead of polling SQLite's lock.</summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task Concurrent_writes_take_turns_and_every_one_lands()
    {
        var database = new SqliteDatabase(_directory.File("maximus.db"));
        var inside = 0;
        var overlaps = 0;

        await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() => database.Write(connection =>
        {
            if (Interlocked.Increment(ref inside) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            var changed = Sql.Execute(
                connection,
                "INSERT INTO dead_letter(topic, payload, error, at) VALUES ('t', $p, 'e', $at)",
                ("$p", i.ToString(CultureInfo.InvariantCulture)), ("$at", SqliteDatabase.Now()));
            Thread.Sleep(1);
            Interlocked.Decrement(ref inside);
            return changed;
        }), TestContext.Current.CancellationToken)));

        Assert.Equal(0, overlaps);
        Assert.Equal(32, new DeadLetterStore(database).List().Select(l => l.Payload).Distinct().Count());
    }

    public void Dispose() => _directory.Dispose();
}
