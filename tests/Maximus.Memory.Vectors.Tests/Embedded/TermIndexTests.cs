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

    [Theory]
    [InlineData("kind counsel mental health service interest pursue w3", 10)]
    [InlineData("w0 w1 w2 w5 w8", 25)]
    [InlineData("w400 w1 w0", 5)]
    [InlineData("rare1 w0 w0 w2", 10)]
    [InlineData("spike mid", 10)]
    [InlineData("spike mid w0", 20)]
    public void Pruned_search_over_many_slots_returns_what_fts5_ranks_first(string query, int limit)
    {
        // 4,000 slots over a skewed vocabulary (w0 in most slots, w400 in few), a few with rare words: a small limit lets the
        // search stop walking the common words' postings; what it returns must still be FTS5's best, filter applied.
        var random = new Random(7);
        var corpus = new List<string>();
        for (var slot = 0; slot < 4000; slot++)
        {
            var words = Enumerable.Range(0, random.Next(3, 40)).Select(_ => $"w{(int)Math.Floor(Math.Pow(random.NextDouble(), 3) * 500)}").ToList();
            if (slot % 97 == 0)
            {
                words.AddRange(["counsel", "mental", "rare1"]);
            }

            // "spike" is rarer than "mid" but only once in long slots (one short slot says it five times: a high bound);
            // a few short slots say "mid" three times and outscore most "spike" slots although walked after them.
            if (slot % 131 == 1)
            {
                words = [.. words.Take(39).Append("spike")];
            }
            else if (slot == 2)
            {
                words = ["spike", "spike", "spike", "spike", "spike"];
            }
            else if (slot % 13 == 5)
            {
                words = slot % 130 == 5 ? ["mid", "mid", "mid", "w1"] : [.. words.Append("mid")];
            }

            corpus.Add(string.Join(' ', words));
        }

        var index = new TermIndex();
        for (var slot = 0; slot < corpus.Count; slot++)
        {
            index.Set(slot, LexicalText.DocumentTerms(corpus[slot]));
        }

        var terms = LexicalText.QueryTerms(query);
        var mine = index.Search(terms, slot => slot % 3 != 0, limit, slot => $"id-{slot:D5}");
        var fts = Fts5(terms, corpus).Where(h => h.Slot % 3 != 0).Take(limit).ToList();

        Assert.Equal(1, index.PrunedSearches);
        Assert.Equal(limit, mine.Count);
        Assert.Equal(fts.Select(h => h.Slot), mine.Select(h => h.Slot));
        Assert.All(mine.Zip(fts), p => Assert.Equal(p.Second.Score, p.First.Score, 9));
    }

    /// <summary>The reference: FTS5's own bm25() over the same terms (as the store's table holds them).</summary>
    private static List<(int Slot, double Score)> Fts5(IReadOnlyList<string> terms, IReadOnlyList<string>? corpus = null)
    {
        corpus ??= Corpus;
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = """CREATE VIRTUAL TABLE t USING fts5(terms, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'");""";
            create.ExecuteNonQuery();
        }

        for (var slot = 0; slot < corpus.Count; slot++)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO t (rowid, terms) VALUES ($slot, $terms)";
            insert.Parameters.AddWithValue("$slot", slot);
            insert.Parameters.AddWithValue("$terms", string.Join(' ', LexicalText.DocumentTerms(corpus[slot])));
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
