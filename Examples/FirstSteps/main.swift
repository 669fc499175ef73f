import TradeLifecycle

let quantity = try ExactDecimal("1.5000")
let price = try ExactDecimal("101.25")
print("notional:", try quantity.multiplied(by: price))
