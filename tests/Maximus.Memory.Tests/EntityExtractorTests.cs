using Maximus.Memory.Hybrid;

namespace Maximus.Memory.Tests;

public sealed class EntityExtractorTests
{
    [Fact]
    public void Names_inside_a_sentence_are_entities()
    {
        var entities = EntityExtractor.Extract("Yesterday I took the kids to see Aunt Rosa in Santa Fe, and we met Tomas there.");
        Assert.Contains("aunt rosa", entities);
        Assert.Contains("santa fe", entities);
        Assert.Contains("tomas", entities);
        Assert.DoesNotContain("yesterday", entities);
    }

    [Fact]
    public void A_speaker_prefix_is_a_name_and_ordinary_sentence_openers_are_not()
    {
        var entities = EntityExtractor.Extract("Melanie: Thanks! It was great. The kids loved it. We went hiking.");
        Assert.Equal(["melanie"], entities);
    }

    [Fact]
    public void A_capitalised_first_word_that_is_not_an_opener_is_a_name()
    {
        Assert.Contains("oscar", EntityExtractor.Extract("Oscar is my guinea pig."));
    }

    [Fact]
    public void Quoted_titles_are_entities_whole()
    {
        var entities = EntityExtractor.Extract("I just finished \"Charlotte's Web\" and then watched “Eternal Sunshine of the Spotless Mind”.");
        Assert.Contains("charlotte's web", entities);
        Assert.Contains("eternal sunshine of the spotless mind", entities);
    }

    [Fact]
    public void Possessives_are_dropped_from_names()
    {
        Assert.Contains("caroline", EntityExtractor.Extract("We went to Caroline's place for dinner."));
    }

    [Fact]
    public void Objects_after_a_possessive_are_entities_but_abstract_words_are_not()
    {
        var entities = EntityExtractor.Extract("I took my dog to the park, it was the best part of my day and my guitar stayed home.");
        Assert.Contains("dog", entities);
        Assert.Contains("guitar", entities);
        Assert.DoesNotContain("day", entities);
        Assert.DoesNotContain("part", entities);
    }

    [Fact]
    public void Entities_are_distinct_lower_case_and_bounded()
    {
        var text = string.Join(", ", Enumerable.Range(0, 40).Select(i => $"then Name{(char)('a' + (i % 26))}{i}x"));
        var entities = EntityExtractor.Extract("We met Rosa and rosa and ROSA. " + text);
        Assert.Equal(entities.Count, entities.Distinct().Count());
        Assert.All(entities, e => Assert.Equal(e.ToLowerInvariant(), e));
        Assert.Equal(EntityExtractor.MaxEntities, entities.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("i think so. yes! ok.")]
    public void Texts_without_names_have_none(string? text)
    {
        Assert.Empty(EntityExtractor.Extract(text));
    }
}
