using Maximus.Memory.Vectors.Embedded;
using Maximus.Memory.Vectors.Lexical;
using Microsoft.Data.Sqlite;

namespace Maximus.Memory.Vectors.Tests.Embedded;

public sealed class TermIndexTests
{
    private static readonly string[] Corpus =
    [
        "Caroline: I went to the LGBTQ support group yesterday and it was so powerful.",
        "Melanie: That's great! I painted a lake sunrise last year, painting calms me.",
        "Caroline: The support group met again; the group talked about adoption agencies.",
        "Melanie: My kids love the beach, we went camping at the beach in June.",
        "Caroline: I'm researching adoption agencies, adoption is a big step.",
        "Melanie: Pottery class was fun, I made a bowl.",
    ];

    [Theory]
    [InlineData("support group")]
    [InlineData("adoption agencies Caroline")]
    [InlineData("painting the beach")]
    [InlineData("Melanie's pottery bowl")]
    public void Scores_and_order_are_those_of_fts5_bm25(string query)
    {
        var index = new TermIndex();
        for (var slot = 0; slot < Corpus.Length; slot++)
        {
            index.Set(slot, LexicalText.DocumentTerms(Corpus[slot]));
        }

        var terms = LexicalText.QueryTerms(query);
        var mine = index.Search(terms, _ => true, 10, slot => $"id-{slot}");
        var fts = Fts5(terms);

        Assert.Equal(fts.Select(h => h.Slot), mine.Select(h => h.Slot));
        Assert.All(mine.Zip(fts), p => Assert.Equal(p.Second.Score, p.First.Score, 9));
    }

    [Fact]
    public void Filter_limit_and_removal_apply()
    {
        var index = new TermIndex();
        for (var slot = 0; slot < Corpus.Length; slot++)
        {
            index.Set(slot, LexicalText.DocumentTerms(Corpus[slot]));
        }

        var terms = LexicalText.QueryTerms("adoption support group");
        var all = index.Search(terms, _ => true, 10, slot => $"id-{slot}");
        Assert.Equal([0, 2, 4], all.Select(h => h.Slot).Order());

        Assert.Equal([all[0].Slot], index.Search(terms, _ => true, 1, slot => $"id-{slot}").Select(h => h.Slot));
        Assert.DoesNotContain(index.Search(terms, slot => slot != 2, 10, slot => $"id-{slot}"), h => h.Slot == 2);

        index.Remove(2);
        index.Set(4, LexicalText.DocumentTerms("Melanie: nothing in common here"));
        Assert.Equal([0], index.Search(terms, _ => true, 10, slot => $"id-{slot}").Select(h => h.Slot));
        Assert.Equal(Corpus.Length - 1, index.Count);
    }

    /// <summary>The reference: FTS5's own bm25() over the same terms (as the store's table holds them).</summary>
    private static List<(int Slot, double Score)> Fts5(IReadOnlyList<string> terms)
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = """CREATE VIRTUAL TABLE t USING fts5(terms, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'");""";
            create.ExecuteNonQuery();
        }

        for (var slot = 0; slot < Corpus.Length; slot++)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO t (rowid, terms) VALUES ($slot, $terms)";
            insert.Parameters.AddWithValue("$slot", slot);
            insert.Parameters.AddWithValue("$terms", string.Join(' ', LexicalText.DocumentTerms(Corpus[slot])));
            insert.ExecuteNonQuery();
        }

        using var search = connection.CreateCommand();
        search.CommandText = "SELECT rowid, bm25(t) AS score FROM t WHERE t MATCH $m ORDER BY score, rowid";
        search.Parameters.AddWithValue("$m", string.Join(" OR ", terms.Select(t => $"\"{t}\"")));
        using var reader = search.ExecuteReader();
        var hits = new List<(int, double)>();
        while (reader.Read())
        {
            hits.Add((reader.GetInt32(0), -reader.GetDouble(1)));
        }

        return hits;
    }
}
