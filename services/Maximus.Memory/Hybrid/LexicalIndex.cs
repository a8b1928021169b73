using System.Text.RegularExpressions;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;

namespace Maximus.Memory.Hybrid;

/// <summary>A document of the lexical index: an entry of one agent, with its place in a conversation (session, turn).</summary>
/// <param name="Session">The session (or thread) the entry belongs to; neighbours are looked up within it.</param>
/// <param name="Sequence">The position within the session (turn number).</param>
/// <param name="OccurredAt">When it happened, if known.</param>
public sealed record LexicalDocument(string Id, string Text, string? Session = null, int Sequence = 0, DateTimeOffset? OccurredAt = null);

/// <summary>A lexical hit: the entry, its BM25 score (higher is better) and its place in the conversation.</summary>
public sealed record LexicalHit(string Id, double Score, string? Session, int Sequence, bool Temporal);

/// <summary>Where an entry sits in its conversation, and whether its text mentions a time.</summary>
public sealed record LexicalPlacement(string Id, string? Session, int Sequence, bool Temporal);

/// <summary>
/// BM25 keyword search on SQLite FTS5: per collection, one FTS5 table (porter stemming over unicode61 when the
/// library has it) and one document table keyed by (agentId, entry id), joined by rowid. Every search is filtered
/// by agent (tenant isolation); user text never reaches FTS5 syntax unquoted (see <see cref="BuildMatchQuery"/>).
/// Collection statistics (IDF) are shared by the agents of a collection; contents are not. A deleted document leaves no
/// text on disk: the file zeroes freed pages (<c>secure_delete</c>), FTS5 removes its terms from the index (its
/// <c>secure-delete</c> option where the library has it, and an <c>optimize</c> merge after every delete) and the
/// write-ahead log is checkpointed and truncated.
/// </summary>
public sealed partial class LexicalIndex : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _ready = new(StringComparer.Ordinal);
    private readonly bool _inMemory;

    /// <param name="databasePath">A SQLite file, or ":memory:" for a private in-memory index.</param>
    public LexicalIndex(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        var inMemory = _inMemory = databasePath == SqliteFile.InMemory;
        _connection = new SqliteFile(databasePath, new SqliteFileOptions
        {
            Pooling = false,
            WriteAheadLog = !inMemory,
            ConnectionPragmas = (inMemory ? "PRAGMA temp_store=MEMORY;" : "PRAGMA synchronous=NORMAL;") + " PRAGMA secure_delete=ON;",
            CreateDirectory = false,
        }).Open();
    }

    /// <summary>The tokenizer in use once a collection exists ("porter unicode61 ..." or plain "unicode61 ...").</summary>
    public string? Tokenizer { get; private set; }

    /// <summary>Creates the collection's tables when missing.</summary>
    public void EnsureCollection(string collection)
    {
        var name = TableName(collection);
        lock (_gate)
        {
            if (_ready.Contains(name))
            {
                return;
            }

            Sql.Execute(_connection, $"""
                CREATE TABLE IF NOT EXISTS "{name}_doc" (
                    rowid INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, entry_id TEXT NOT NULL,
                    session TEXT, seq INTEGER NOT NULL, occurred INTEGER, temporal INTEGER NOT NULL,
                    UNIQUE (agent_id, entry_id));
                CREATE INDEX IF NOT EXISTS "{name}_doc_place" ON "{name}_doc" (agent_id, session, seq);
                """);
            foreach (var tokenizer in new[] { "porter unicode61 remove_diacritics 2", "unicode61 remove_diacritics 2" })
            {
                try
                {
                    Sql.Execute(_connection, $"""CREATE VIRTUAL TABLE IF NOT EXISTS "{name}_fts" USING fts5(text, tokenize = '{tokenizer}');""");
                    Tokenizer = tokenizer;
                    break;
                }
                catch (SqliteException) when (tokenizer.StartsWith("porter", StringComparison.Ordinal))
                {
                    // No porter stemmer in this SQLite build: plain unicode61.
                }
            }

            try
            {
                // A delete removes the document's terms from the index at once instead of adding a tombstone (SQLite 3.42+).
                Sql.Execute(_connection, $"""INSERT INTO "{name}_fts" ("{name}_fts", rank) VALUES ('secure-delete', 1);""");
            }
            catch (SqliteException)
            {
                // An older FTS5: the optimize merge after each delete drops the deleted terms instead.
            }

            _ready.Add(name);
        }
    }

    /// <summary>Inserts or replaces documents of one agent (by id), in one transaction.</summary>
    public void Upsert(string collection, string agentId, IReadOnlyList<LexicalDocument> documents)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        EnsureCollection(collection);
        var name = TableName(collection);
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var find = Sql.Command(transaction, $"""SELECT rowid FROM "{name}_doc" WHERE agent_id = $a AND entry_id = $e""");
            using var deleteText = Sql.Command(transaction, $"""DELETE FROM "{name}_fts" WHERE rowid = $r""");
            using var deleteDoc = Sql.Command(transaction, $"""DELETE FROM "{name}_doc" WHERE rowid = $r""");
            using var insertDoc = Sql.Command(
                transaction, $"""INSERT INTO "{name}_doc" (agent_id, entry_id, session, seq, occurred, temporal) VALUES ($a, $e, $s, $q, $o, $t) RETURNING rowid""");
            using var insertText = Sql.Command(transaction, $"""INSERT INTO "{name}_fts" (rowid, text) VALUES ($r, $x)""");
            foreach (var document in documents)
            {
                ArgumentException.ThrowIfNullOrEmpty(document.Id);
                find.Parameters.Clear();
                find.Parameters.AddWithValue("$a", agentId);
                find.Parameters.AddWithValue("$e", document.Id);
                if (find.ExecuteScalar() is long existing)
                {
                    foreach (var delete in new[] { deleteText, deleteDoc })
                    {
                        delete.Parameters.Clear();
                        delete.Parameters.AddWithValue("$r", existing);
                        delete.ExecuteNonQuery();
                    }
                }

                insertDoc.Parameters.Clear();
                insertDoc.Parameters.AddWithValue("$a", agentId);
                insertDoc.Parameters.AddWithValue("$e", document.Id);
                insertDoc.Parameters.AddWithValue("$s", (object?)document.Session ?? DBNull.Value);
                insertDoc.Parameters.AddWithValue("$q", document.Sequence);
                insertDoc.Parameters.AddWithValue("$o", document.OccurredAt is { } at ? at.ToUnixTimeMilliseconds() : DBNull.Value);
                insertDoc.Parameters.AddWithValue("$t", MentionsTime(document.Text) ? 1 : 0);
                var rowid = (long)insertDoc.ExecuteScalar()!;
                insertText.Parameters.Clear();
                insertText.Parameters.AddWithValue("$r", rowid);
                insertText.Parameters.AddWithValue("$x", document.Text);
                insertText.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    /// <summary>
    /// Deletes documents of one agent by id and their text from disk (index merged into one segment without them, WAL
    /// checkpointed and truncated); returns how many existed.
    /// </summary>
    public int Delete(string collection, string agentId, IReadOnlyCollection<string> ids)
    {
        EnsureCollection(collection);
        var name = TableName(collection);
        var removed = 0;
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var find = Sql.Command(transaction, $"""SELECT rowid FROM "{name}_doc" WHERE agent_id = $a AND entry_id = $e""");
            using var deleteText = Sql.Command(transaction, $"""DELETE FROM "{name}_fts" WHERE rowid = $r""");
            using var deleteDoc = Sql.Command(transaction, $"""DELETE FROM "{name}_doc" WHERE rowid = $r""");
            foreach (var id in ids)
            {
                find.Parameters.Clear();
                find.Parameters.AddWithValue("$a", agentId);
                find.Parameters.AddWithValue("$e", id);
                if (find.ExecuteScalar() is long rowid)
                {
                    foreach (var delete in new[] { deleteText, deleteDoc })
                    {
                        delete.Parameters.Clear();
                        delete.Parameters.AddWithValue("$r", rowid);
                        delete.ExecuteNonQuery();
                    }

                    removed++;
                }
            }

            transaction.Commit();
            if (removed > 0)
            {
                // Rewrites the index as one segment: no older segment keeps the deleted terms.
                Sql.Execute(_connection, $"""INSERT INTO "{name}_fts" ("{name}_fts") VALUES ('optimize');""");
                if (!_inMemory)
                {
                    Sql.CheckpointTruncate(_connection);
                }
            }
        }

        return removed;
    }

    /// <summary>The <paramref name="limit"/> best BM25 matches of the agent's documents for free user text, best first.</summary>
    public IReadOnlyList<LexicalHit> Search(string collection, string agentId, string query, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        EnsureCollection(collection);
        var match = BuildMatchQuery(query);
        if (match.Length == 0)
        {
            return [];
        }

        var name = TableName(collection);
        lock (_gate)
        {
            using var command = Sql.Command(_connection, $"""
                SELECT d.entry_id, bm25("{name}_fts") AS score, d.session, d.seq, d.temporal
                FROM "{name}_fts" f JOIN "{name}_doc" d ON d.rowid = f.rowid
                WHERE "{name}_fts" MATCH $m AND d.agent_id = $a
                ORDER BY score, d.entry_id LIMIT $n
                """);
            command.Parameters.AddWithValue("$m", match);
            command.Parameters.AddWithValue("$a", agentId);
            command.Parameters.AddWithValue("$n", limit);
            using var reader = command.ExecuteReader();
            var hits = new List<LexicalHit>(limit);
            while (reader.Read())
            {
                // FTS5's bm25() is lower-is-better (negative); the hit carries the usual higher-is-better score.
                hits.Add(new LexicalHit(reader.GetString(0), -reader.GetDouble(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4) != 0));
            }

            return hits;
        }
    }

    /// <summary>Where these entries of the agent sit (missing ids are left out).</summary>
    public IReadOnlyDictionary<string, LexicalPlacement> Place(string collection, string agentId, IReadOnlyCollection<string> ids)
    {
        EnsureCollection(collection);
        var result = new Dictionary<string, LexicalPlacement>(ids.Count, StringComparer.Ordinal);
        if (ids.Count == 0)
        {
            return result;
        }

        var name = TableName(collection);
        lock (_gate)
        {
            using var command = Sql.Command(_connection, string.Empty, ("$a", agentId));
            command.CommandText = $"""SELECT entry_id, session, seq, temporal FROM "{name}_doc" WHERE agent_id = $a AND entry_id IN ({Sql.BindList(command, "$p", ids)})""";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var id = reader.GetString(0);
                result[id] = new LexicalPlacement(id, reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3) != 0);
            }
        }

        return result;
    }

    /// <summary>The agent's entries at these places (session, sequence); places without an entry are left out.</summary>
    public IReadOnlyList<LexicalPlacement> At(string collection, string agentId, IEnumerable<(string Session, int Sequence)> places)
    {
        EnsureCollection(collection);
        var name = TableName(collection);
        var result = new List<LexicalPlacement>();
        lock (_gate)
        {
            using var command = Sql.Command(_connection, $"""SELECT entry_id, session, seq, temporal FROM "{name}_doc" WHERE agent_id = $a AND session = $s AND seq = $q""");
            foreach (var (session, sequence) in places)
            {
                command.Parameters.Clear();
                command.Parameters.AddWithValue("$a", agentId);
                command.Parameters.AddWithValue("$s", session);
                command.Parameters.AddWithValue("$q", sequence);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    result.Add(new LexicalPlacement(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3) != 0));
                }
            }
        }

        return result;
    }

    /// <summary>
    /// FTS5 query text for free user text: every word (letters and digits) becomes a double-quoted string, joined by
    /// OR, so quotes, operators (AND, OR, NOT, NEAR), column filters, '*', '^' and parentheses are plain words or
    /// dropped. Very common function words are left out; an empty result means nothing to match.
    /// </summary>
    public static string BuildMatchQuery(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return string.Empty;
        }

        var terms = Words().Matches(text)
            .Select(m => m.Value.ToLowerInvariant())
            .Where(w => !StopWords.Contains(w))
            .Distinct(StringComparer.Ordinal)
            .Select(w => $"\"{w.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
        return string.Join(" OR ", terms);
    }

    /// <summary>Whether a text mentions a time (weekday, month, year, relative time): candidates for "when" questions.</summary>
    public static bool MentionsTime(string text) => TimeWords().IsMatch(text);

    public void Dispose() => _connection.Dispose();

    private static string TableName(string collection)
    {
        if (string.IsNullOrEmpty(collection) || collection.Length > 64 || !collection.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ArgumentException($"Collection name '{collection}' must be 1 to 64 letters, digits, '-' or '_'.", nameof(collection));
        }

        return "lex_" + collection.Replace('-', '_');
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:'[\p{L}]+)?")]
    private static partial Regex Words();

    [GeneratedRegex(
        @"\b(yesterday|today|tonight|tomorrow|ago|last (week|weekend|month|year|night|summer|winter|spring|fall|time)|next (week|weekend|month|year)|this (week|weekend|month|year|morning|summer)|recently|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|(19|20)\d\d|weeks?|months?|years?)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimeWords();

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "is", "are", "was", "were", "be",
        "been", "do", "does", "did", "what", "which", "who", "whom", "whose", "how", "when", "where", "why", "it", "its",
        "that", "this", "as", "from", "has", "have", "had", "s",
    };
}
