import ArgumentParser
import Foundation
import PersonaCore

/// Association rules at the command line.
enum RulesCommands: FamilyCommands {
    typealias Model = RulesModel
    static let abstract = "Find what sells together: frequent itemsets and association rules from market baskets."
    static let discussion = """
        Baskets in long form (--basket COL --item COL: one row per basket and item,
        in any order, an item repeated in a basket counted once) or one row per
        basket (--basket COL --items COL --separator ";"). FP-growth finds every
        itemset in at least --min-support of the baskets (a share, or a count above
        1); every split of one into an antecedent and a consequent whose confidence
        reaches --min-confidence is a rule, with the measures of mlxtend's
        association_rules: support, confidence, lift, leverage, conviction,
        Zhang's metric, Jaccard, certainty and Kulczynski.

        Example:
          persona train rules --data baskets.csv --basket basket_id --item item --min-support 0.01 --out models/rules.safetensors
          persona inspect models/rules.safetensors --rules --sort lift --top 20
          persona score models/rules.safetensors --data open_baskets.csv --top 5 --out suggestions.csv

        """
    static let selectsFeatures = false

    static func summary(_ m: RulesModel) -> [String] {
        let t = m.card.trainingMetrics
        let sets = Int(t["itemsets"]?.double ?? 0), items = Int(t["frequent_items"]?.double ?? 0)
        return ["trained rules: \(m.baskets) baskets, \(m.itemNames.count) items (\(items) frequent); \(sets) frequent itemsets, \(m.ruleCount) rules"]
    }
}
