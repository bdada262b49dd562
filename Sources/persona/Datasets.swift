import ArgumentParser
import Foundation
import PersonaCore

extension DatasetKind: ExpressibleByArgument {}

struct Datasets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Generate sample data sets.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write a deterministic, realistic sample data set.",
            discussion: """
            customers     one row per customer: demographics and behaviour, with latent segments
            churn         subscription customers with a churned 0/1 label (15-30% churners)
            interactions  user_id,item_id,rating with power-law popularity and low-rank taste
            transactions  customer_id,timestamp,amount,category purchase log
            campaign      a randomised campaign: customer features, pre_revenue, group (control,
                          offer_a, offer_b in equal shares), converted, revenue, and true_uplift
                          (offer_a's known effect on each customer's conversion probability)
            baskets       basket_id,item shopping baskets (--rows baskets) with planted associations:
                          pasta + tomato sauce -> parmesan, nappies -> beer, tortilla chips -> salsa,
                          coffee beans -> milk
            dirty-customers  customer records from two systems (UK phones): repeated customers with other ids, case, spacing and formats, exact duplicate rows, pound signs, test accounts, and true_customer (which customer each record is)

            The same kind, --rows and --seed always give the same file.
            """
        )

        @Argument(help: "customers | churn | interactions | transactions | campaign | baskets | dirty-customers")
        var kind: DatasetKind

        @Option(help: "Number of data rows (baskets: number of baskets).")
        var rows: Int

        @Option(help: "Random seed.")
        var seed: UInt64 = 0

        @Option(help: ArgumentHelp("Output CSV file.", valueName: "file"))
        var out: String

        @OptionGroup var verbosity: Verbosity

        func validate() throws {
            if rows < 1 { throw ValidationError("--rows must be at least 1.") }
            _ = try dataOutputFormat(out, given: nil, jsonLines: false)
        }

        func run() throws {
            verbosity.apply()
            let start = Date()
            try Generators.generate(kind, rows: rows, seed: seed, to: out)
            Console.progress("generated \(kind.rawValue) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
            Console.wrote("wrote \(out) (\(kind.rawValue))", dataOnStandardOutput: out == "-")
        }
    }
}
