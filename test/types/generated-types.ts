/**
 * Type-level tests of generated code (schemas/generated, from schemas/): compiled by `tsc --noEmit`
 * in `npm test`, never run. Each `@ts-expect-error` fails the build if the line below it compiles.
 */
import {
  avroTypes,
  topics,
  type AvroInputs,
  type AvroTypes,
  type Customer,
  type CustomerInput,
  type Order,
  type OrderInput,
  type TopicMap,
} from '../../schemas/generated/index.js';

const shipTo = { street: '1 rue de la Paix', city: 'Paris', postcode: '75002' };
const line = { sku: 'A-1', quantity: 2, unitPrice: '9.99' };

export const customer: CustomerInput = { id: 1, name: 'Precision Products' };
export const withEmail: CustomerInput = { id: 1, name: 'P', email: 'p@example.com' };
// @ts-expect-error a required field is missing
export const noName: CustomerInput = { id: 1 };
// @ts-expect-error id is an Avro int: a number
export const idAsText: CustomerInput = { id: '1', name: 'P' };
// @ts-expect-error email is a union of null and string
export const emailAsNumber: CustomerInput = { id: 1, name: 'P', email: 42 };
// @ts-expect-error a field the schema does not have
export const extraField: CustomerInput = { id: 1, name: 'P', phone: '555' };
// @ts-expect-error what a reader gets has every field, defaults included
export const readerView: Customer = { id: 1, name: 'P' };

export const order: OrderInput = {
  id: '123e4567-e89b-12d3-a456-426614174000',
  customerId: 1,
  placedAt: new Date(),
  lines: [line],
  total: '19.98',
  shipTo,
  payment: { 'com.example.shop.CardPayment': { last4: '4242', amount: '19.98' } },
  deliveryDate: '2026-12-01',
};
// @ts-expect-error timestamp-millis is a Date, not a number
export const placedAtNumber: OrderInput = { ...order, placedAt: 1700000000000 };
// @ts-expect-error decimal is exact text, not a (rounding) number
export const totalNumber: OrderInput = { ...order, total: 19.98 };
// @ts-expect-error not one of the enum's symbols
export const badStatus: OrderInput = { ...order, status: 'LOST' };
const bothBranches = {
  'com.example.shop.CardPayment': { last4: '1', amount: '1' },
  'com.example.shop.BankTransfer': { iban: 'FR76' },
};
// @ts-expect-error a wrapped union value names exactly one branch
export const twoBranches: OrderInput = { ...order, payment: bothBranches };
// @ts-expect-error a wrapped union value names its branch; a bare record is not enough
export const unwrappedBranch: OrderInput = { ...order, payment: { iban: 'FR76' } };
// @ts-expect-error shipping and billing addresses are different types: billing has company
export const billingAsShipping: OrderInput = { ...order, billTo: shipTo };
// @ts-expect-error nested records are checked too
export const badLine: OrderInput = { ...order, lines: [{ ...line, quantity: 'two' }] };

// The avsc Types take the input type and give the reader type.
export const bytes: Buffer = avroTypes['customerManagement.avro.Customer'].toBuffer(customer);
export const back: Customer = avroTypes['customerManagement.avro.Customer'].fromBuffer(bytes);
export const orderBack: Order = avroTypes['com.example.shop.Order'].fromBuffer(bytes);
// @ts-expect-error the Customer type does not write an Order
avroTypes['customerManagement.avro.Customer'].toBuffer(order);
// @ts-expect-error only generated full names are keys
export const missingType = avroTypes['Customer'];

// The topic map binds each topic to its key and value.
export const customersValue: TopicMap['customers']['value'] = customer;
export const ordersKey: TopicMap['orders']['key'] = 'order-1';
// @ts-expect-error the customers topic carries Customers
export const wrongTopicValue: TopicMap['customers']['value'] = order;
// @ts-expect-error customers are keyed by string
export const numericKey: TopicMap['customers']['key'] = 7;
export const ordersBinding = topics.orders.value.name;
// @ts-expect-error only topics in the map exist
export const noTopic = topics.payments;

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export const inputsMatch: Equal<AvroInputs['customerManagement.avro.Customer'], CustomerInput> = true;
export const typesMatch: Equal<AvroTypes['com.example.shop.Order'], Order> = true;
