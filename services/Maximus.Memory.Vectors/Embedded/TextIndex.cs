using System.Text;
using System.Text.Json.Nodes;
using Maximus.Memory.Vectors.Lexical;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;

namespace Maximus.Memory.Vectors.Embedded;

/// <summary>
/// The lexical (BM25) index of an embedded collection: one SQLite FTS5 table per collection in the vector store's own
/// file, rowid = the point's slot, holding the terms of <see cref="LexicalText"/> (already stemmed and joined by spaces;
/// FTS5's tokenizer only splits them again, '_' being a token character for the joined contraction terms). Written in the transaction of the point upsert or delete, so a forgotten point leaves no text behind;
/// FTS5 <c>secure-delete</c> removes a deleted row's terms from the index at once. Searches run on the in-memory
/// <see cref="TermIndex"/> (same BM25), which the collection builds from the payloads when it loads.
/// </summary>
internal static class TextIndex
{
    public static string Table(string collection) => "vector_text_" + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(collection));

    /// <summary>Creates the table when missing (inside the caller's transaction).</summary>
    public static void Create(SqliteTransaction transaction, string collection)
    {
        var table = Table(collection);
        Sql.Execute(transaction, $"""CREATE VIRTUAL TABLE IF NOT EXISTS "{table}" USING fts5(terms, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'");""");
        try
        {
            Sql.Execute(transaction, $"""INSERT INTO "{table}" ("{table}", rank) VALUES ('secure-delete', 1);""");
        }
        catch (SqliteException)
        {
            // FTS5 older than SQLite 3.42: deleted terms stay in the index until its segments merge.
        }
    }

    public static void Drop(SqliteTransaction transaction, string collection) =>
        Sql.Execute(transaction, $"""DROP TABLE IF EXISTS "{Table(collection)}";""");

    /// <summary>The terms of a payload's text field, or null when it has no string there.</summary>
    public static string? Terms(JsonObject payload, string field) =>
        payload[field] is JsonValue value && value.TryGetValue<string>(out var text) && LexicalText.DocumentTerms(text) is { Count: > 0 } terms
            ? string.Join(' ', terms)
            : null;

    /// <summary>A prepared writer of one transaction: replaces (or removes) the text row of a slot.</summary>
    public sealed class Writer : IDisposable
    {
        private readonly SqliteCommand _delete;
        private readonly SqliteCommand _insert;
        private readonly SqliteParameter _deleteSlot;
        private readonly SqliteParameter _insertSlot;
        private readonly SqliteParameter _insertTerms;

        public Writer(SqliteTransaction transaction, string collection)
        {
            var table = Table(collection);
            _delete = Sql.Command(transaction, $"""DELETE FROM "{table}" WHERE rowid = $slot""");
            _deleteSlot = _delete.Parameters.Add("$slot", SqliteType.Integer);
            _insert = Sql.Command(transaction, $"""INSERT INTO "{table}" (rowid, terms) VALUES ($slot, $terms)""");
            _insertSlot = _insert.Parameters.Add("$slot", SqliteType.Integer);
            _insertTerms = _insert.Parameters.Add("$terms", SqliteType.Text);
        }

        public void Remove(int slot)
        {
            _deleteSlot.Value = slot;
            _delete.ExecuteNonQuery();
        }

        public void Write(int slot, string? terms)
        {
            Remove(slot);
            if (terms is not null)
            {
                _insertSlot.Value = slot;
                _insertTerms.Value = terms;
                _insert.ExecuteNonQuery();
            }
        }

        public void Dispose()
        {
            _delete.Dispose();
            _insert.Dispose();
        }
    }

    /// <summary>Indexes every stored payload anew (a new or changed text field, or a backfill after an upgrade).</summary>
    public static int Rebuild(SqliteTransaction transaction, string collection, string field)
    {
        var table = Table(collection);
        Sql.Execute(transaction, $"""DELETE FROM "{table}";""");
        var rows = new List<(int Slot, string Terms)>();
        using (var read = Sql.Command(transaction, "SELECT slot, payload FROM vector_point WHERE collection = $c", ("$c", collection)))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                if (Terms(JsonNode.Parse(reader.GetString(1))!.AsObject(), field) is { } terms)
                {
                    rows.Add((reader.GetInt32(0), terms));
                }
            }
        }

        using var writer = new Writer(transaction, collection);
        foreach (var (slot, terms) in rows)
        {
            writer.Write(slot, terms);
        }

        return rows.Count;
    }
}
